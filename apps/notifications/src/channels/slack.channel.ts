import { Inject, Injectable } from '@nestjs/common';
import { type NotificationsConfig } from '../config/notifications.config';
import { type Delivery } from '../deliveries/delivery.entity';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { postWebhook } from '../webhooks/webhook-http';
import { type ChannelAdapter, ReceiverRefusedError } from './channel';

/** Slack's control characters in message text; values are shown, never interpreted as links or mentions. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `{"text": ...}`. */
@Injectable()
export class SlackChannel implements ChannelAdapter {
  readonly channel = 'slack' as const;
  // Incoming webhooks do not deduplicate: an unknown outcome is not repeated.
  readonly repeatable = false;

  constructor(@Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig) {}

  async send(delivery: Delivery): Promise<void> {
    const status = await postWebhook({
      url: delivery.toAddress ?? '',
      headers: { 'content-type': 'application/json', 'user-agent': 'ticketflow-webhooks/1' },
      body: JSON.stringify({ text: escapeSlackText(`${delivery.subject}\n${delivery.body}`) }),
      timeoutMs: this.config.webhooks.timeoutMs,
      allow: this.config.webhooks.allowedDestinations,
    });
    if (status < 200 || status >= 300) throw new ReceiverRefusedError(status);
  }
}
