import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { channelSchema, isoTimeSchema, uuidSchema } from '../../values';

export const TicketMessageAdded = defineEvent({
  type: 'ticket.message.added',
  topic: Topic.TicketEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    messageId: uuidSchema,
    author: z.enum(['customer', 'agent']),
    agentId: z.string().nullable(),
    internal: z.boolean(),
    /** True for the first public agent message on the ticket: the first response. */
    firstResponse: z.boolean(),
    /** True for a public agent message answering a customer message after the first response. */
    nextResponse: z.boolean().optional(),
    /** The channel the message came in or went out on. */
    channel: channelSchema.optional(),
    /** The text of a public agent message, which notifications copies to the customer; never logged. */
    body: z.string().optional(),
    createdAt: isoTimeSchema,
  }),
});
