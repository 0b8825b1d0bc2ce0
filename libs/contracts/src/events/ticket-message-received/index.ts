import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import {
  channelSchema,
  customerIdentitySchema,
  LIMITS,
  messageIdSchema,
  threadRefSchema,
  uuidSchema,
} from '../../values';

/**
 * A customer's message from another system. It joins the ticket it names (ticketId, externalId,
 * threadRef, or email thread headers) while that ticket is open, and opens a new one otherwise.
 */
export const inboundMessageSchema = z.strictObject({
  channel: channelSchema,
  customer: customerIdentitySchema,
  body: z.string().min(1).max(LIMITS.body),
  /** Used when the message opens a new ticket; otherwise the ticket keeps its subject. */
  subject: z.string().trim().min(1).max(LIMITS.subject).optional(),
  ticketId: uuidSchema.optional(),
  externalId: z.string().trim().min(1).max(LIMITS.externalId).optional(),
  /** The sender's conversation id (a chat session, a social thread): every message in it is one ticket. */
  threadRef: threadRefSchema.optional(),
  /** The sender's id for this message (an email Message-ID); the same id again changes nothing. */
  messageId: messageIdSchema.optional(),
  inReplyTo: messageIdSchema.optional(),
  references: z.array(messageIdSchema).max(100).optional(),
});
export type InboundMessage = z.infer<typeof inboundMessageSchema>;

export const TicketMessageReceived = defineEvent({
  type: 'ticket.message.received',
  topic: Topic.TicketsInbound,
  version: 1,
  data: inboundMessageSchema,
});
