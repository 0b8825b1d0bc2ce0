import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { routingDecisionSchema } from '../../routing-decision';
import { isoTimeSchema, uuidSchema } from '../../values';

/** The assignee did not answer in time, so the next qualified agent took the ticket. */
export const TicketReassigned = defineEvent({
  type: 'ticket.reassigned',
  topic: Topic.AssignmentEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    fromAgentId: uuidSchema,
    agentId: uuidSchema,
    teamId: uuidSchema.nullable(),
    // Notifications emails the new assignee; consumers must not log this block.
    agent: z.strictObject({ name: z.string(), email: z.string() }),
    reason: z.enum(['no_first_response']),
    /**
     * Who to tell that the first assignee let it slip: the lead of the new assignee's team, when it
     * has one. Notifications writes to them; consumers must not log this block.
     */
    teamLead: z.strictObject({ agentId: uuidSchema, name: z.string(), email: z.string() }).nullable(),
    /** The assignment's epoch: one per assignee, so each reassignment is told once. */
    epoch: z.int().positive(),
    decision: routingDecisionSchema,
    reassignedAt: isoTimeSchema,
  }),
});
