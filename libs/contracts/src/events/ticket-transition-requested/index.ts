import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { ticketStatusSchema, uuidSchema } from '../../values';

/**
 * An automation asks intake, which owns tickets, to move one on: auto-close a solved ticket,
 * auto-solve a pending one. Applied only while the ticket is still `from`, so a customer's reply
 * that got there first wins.
 */
export const TicketTransitionRequested = defineEvent({
  type: 'ticket.transition.requested',
  topic: Topic.TicketCommands,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    from: ticketStatusSchema,
    to: ticketStatusSchema,
    reason: z.enum(['auto_close', 'auto_solve']),
  }),
});
