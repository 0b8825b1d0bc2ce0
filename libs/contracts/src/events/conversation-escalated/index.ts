import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { channelSchema, customerIdentitySchema, isoTimeSchema, LIMITS, threadRefSchema } from '../../values';

export const transcriptEntrySchema = z.strictObject({
  from: z.enum(['customer', 'bot']),
  text: z.string().min(1).max(LIMITS.body),
  at: isoTimeSchema.optional(),
});
export type TranscriptEntry = z.infer<typeof transcriptEntrySchema>;

/** A chatbot hands the conversation to a human: a high-priority ticket carrying the transcript. */
export const conversationEscalationSchema = z.strictObject({
  channel: channelSchema,
  customer: customerIdentitySchema,
  transcript: z.array(transcriptEntrySchema).min(1).max(500),
  reason: z.string().trim().min(1).max(500),
  subject: z.string().trim().min(1).max(LIMITS.subject).optional(),
  threadRef: threadRefSchema.optional(),
});
export type ConversationEscalation = z.infer<typeof conversationEscalationSchema>;

export const ConversationEscalated = defineEvent({
  type: 'conversation.escalated',
  topic: Topic.TicketsInbound,
  version: 1,
  data: conversationEscalationSchema,
});
