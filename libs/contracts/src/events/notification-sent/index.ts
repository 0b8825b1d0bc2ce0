import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

export const NotificationSent = defineEvent({
  type: 'notification.sent',
  topic: Topic.NotificationEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    deliveryId: uuidSchema,
    channel: z.enum(['email', 'webhook', 'slack']),
    /** Why it was sent, e.g. `ticket.acknowledgment`; no recipient address (PII) travels here. */
    reason: z.string(),
    recipient: z.enum(['customer', 'assignee', 'team_lead', 'agent', 'subscriber']),
    sentAt: isoTimeSchema,
  }),
});
