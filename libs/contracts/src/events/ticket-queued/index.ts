import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { routingDecisionSchema } from '../../routing-decision';
import { isoTimeSchema, uuidSchema } from '../../values';

export const TicketQueued = defineEvent({
  type: 'ticket.queued',
  topic: Topic.AssignmentEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    reason: z.string(),
    /** What the ticket waits for: the rule's team and skills, and why nobody qualified now. */
    decision: routingDecisionSchema.optional(),
    queuedAt: isoTimeSchema,
  }),
});
