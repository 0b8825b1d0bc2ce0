import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { channelSchema, isoTimeSchema, prioritySchema, ticketStatusSchema, uuidSchema } from '../../values';

export const TicketCreated = defineEvent({
  type: 'ticket.created',
  topic: Topic.TicketEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    reference: z.string(),
    status: ticketStatusSchema,
    channel: channelSchema,
    priority: prioritySchema,
    subject: z.string(),
    category: z.string().nullable(),
    tags: z.array(z.string()),
    language: z.string().nullable(),
    externalId: z.string().nullable(),
    // Notifications needs a way to reach the customer; consumers must not log this block.
    customer: z.strictObject({
      id: uuidSchema,
      email: z.string().nullable(),
      name: z.string().nullable(),
      locale: z.string().nullable(),
    }),
    createdAt: isoTimeSchema,
  }),
});
