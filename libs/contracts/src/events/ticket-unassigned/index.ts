import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

/** The assignee gave the ticket back without answering it; routing assigns or queues it again. */
export const TicketUnassigned = defineEvent({
  type: 'ticket.unassigned',
  topic: Topic.AssignmentEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    agentId: uuidSchema,
    reason: z.enum(['agent_offline', 'agent_removed']),
    unassignedAt: isoTimeSchema,
  }),
});
