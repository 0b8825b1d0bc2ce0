import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

/**
 * Overflow gave up on an unanswered ticket: it stays with its assignee and no timer will pass it
 * on again, so someone has to step in. Published once per assignment whose overflow stops.
 */
export const TicketOverflowStopped = defineEvent({
  type: 'ticket.overflow.stopped',
  topic: Topic.AssignmentEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    /** The assignee it stays with, still without a first response. */
    agentId: uuidSchema,
    teamId: uuidSchema.nullable(),
    /**
     * Who has to step in: the lead of the assignee's team, when it has one. Notifications writes
     * to them; consumers must not log this block.
     */
    teamLead: z.strictObject({ agentId: uuidSchema, name: z.string(), email: z.string() }).nullable(),
    /** How many times the ticket was passed on before it stopped (0: never). */
    overflows: z.int().nonnegative(),
    /** limit_reached: the rule's maxOverflows; no_other_agent: nobody it was not passed on from qualifies. */
    reason: z.enum(['limit_reached', 'no_other_agent']),
    /** The epoch of the assignment it stays in. */
    epoch: z.int().positive(),
    stoppedAt: isoTimeSchema,
  }),
});
