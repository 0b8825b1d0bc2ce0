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
    /** Why: an agent's edit, a customer's reply reopening or resuming it, or an automatic rule. */
    reason: z.enum(['agent', 'agent_reply', 'customer_reply', 'automation']).optional(),
    changedAt: isoTimeSchema,
  }),
});
