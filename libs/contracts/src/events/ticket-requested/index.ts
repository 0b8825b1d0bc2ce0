import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import {
  channelSchema,
  customerIdentitySchema,
  LIMITS,
  prioritySchema,
  tagSchema,
  ticketMetadataSchema,
} from '../../values';

/** The body of `POST /v1/tickets`, and the `data` of an inbound `ticket.requested` CloudEvent. */
export const ticketRequestSchema = z.strictObject({
  channel: channelSchema,
  customer: customerIdentitySchema,
  subject: z.string().trim().min(1).max(LIMITS.subject),
  body: z.string().min(1).max(LIMITS.body),
  priority: prioritySchema.optional(),
  category: z.string().trim().min(1).max(LIMITS.category).optional(),
  tags: z.array(tagSchema).max(LIMITS.tags).optional(),
  externalId: z.string().trim().min(1).max(LIMITS.externalId).optional(),
  metadata: ticketMetadataSchema.optional(),
});
export type TicketRequest = z.infer<typeof ticketRequestSchema>;

export const TicketRequested = defineEvent({
  type: 'ticket.requested',
  topic: Topic.TicketsInbound,
  version: 1,
  data: ticketRequestSchema,
});
