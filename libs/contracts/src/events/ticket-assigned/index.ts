import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { routingDecisionSchema } from '../../routing-decision';
import { isoTimeSchema, uuidSchema } from '../../values';

export const TicketAssigned = defineEvent({
  type: 'ticket.assigned',
  topic: Topic.AssignmentEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    agentId: uuidSchema,
    teamId: uuidSchema.nullable(),
    // Notifications emails the assignee; consumers must not log this block.
    agent: z.strictObject({ name: z.string(), email: z.string() }),
    /** Why this agent: the strategy and the load it saw, for the ticket timeline. */
    reason: z.string(),
    /** The lead of the agent's team, whom escalations and CSAT recovery reach; not logged either. */
    teamLead: z
      .strictObject({ agentId: uuidSchema, name: z.string(), email: z.string() })
      .nullable()
      .optional(),
    /** The rule matched and why every other agent was not chosen. */
    decision: routingDecisionSchema.optional(),
    assignedAt: isoTimeSchema,
  }),
});
