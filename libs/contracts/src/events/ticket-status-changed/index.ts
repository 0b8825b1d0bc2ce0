import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, ticketStatusSchema, uuidSchema } from '../../values';

export const TicketStatusChanged = defineEvent({
  type: 'ticket.status.changed',
  topic: Topic.TicketEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    from: ticketStatusSchema,
    to: ticketStatusSchema,
    changedAt: isoTimeSchema,
  }),
});
