import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

export const TicketQueued = defineEvent({
  type: 'ticket.queued',
  topic: Topic.AssignmentEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    reason: z.string(),
    queuedAt: isoTimeSchema,
  }),
});
