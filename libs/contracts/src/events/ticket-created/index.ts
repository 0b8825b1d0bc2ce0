import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import {
  channelSchema,
  isoTimeSchema,
  prioritySchema,
  ticketMetadataSchema,
  ticketStatusSchema,
  uuidSchema,
} from '../../values';

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
    /** Where `language` came from: the customer's locale, text detection, or the configured default. */
    languageSource: z.enum(['customer_locale', 'detected', 'default']).optional(),
    /** The earlier ticket this one follows up, when a message came after that one was closed. */
    followUpOf: uuidSchema.nullable().optional(),
    threadRef: z.string().nullable().optional(),
    /** Set when a chatbot handed the conversation over. */
    escalationReason: z.string().nullable().optional(),
    externalId: z.string().nullable(),
    /** The sender's own attributes of the ticket, such as a customer tier; absent from older events. */
    metadata: ticketMetadataSchema.optional(),
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
