import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type NotificationsConfig } from '../config/notifications.config';
import { type Delivery } from '../deliveries/delivery.entity';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { Webhook } from '../webhooks/webhook.entity';
import { type ChannelAdapter, ReceiverRefusedError } from './channel';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature';

/**
 * Signed JSON over HTTPS. Every attempt carries the delivery id as `Idempotency-Key`, so a receiver
 * that deduplicates on it sees each delivery once even when an attempt's outcome was lost.
 */
@Injectable()
export class WebhookChannel implements ChannelAdapter {
  readonly channel = 'webhook' as const;
  readonly repeatable = true;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async send(delivery: Delivery): Promise<void> {
    const secret = await this.secretFor(delivery);
    const response = await fetch(delivery.toAddress ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ticketflow-webhooks/1',
        'idempotency-key': delivery.id,
        'ticketflow-delivery': delivery.id,
        [SIGNATURE_HEADER]: signPayload(secret, delivery.body),
      },
      body: delivery.body,
      redirect: 'error',
      signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
    });
    // The answer's body is not needed; reading it releases the connection.
    await response.arrayBuffer();
    if (!response.ok) throw new ReceiverRefusedError(response.status);
  }

  /** A subscription's own secret, or the one for URLs an SLA policy names. */
  private async secretFor(delivery: Delivery): Promise<string> {
    if (delivery.webhookId) {
      const webhook = await this.dataSource.getRepository(Webhook).findOneBy({ id: delivery.webhookId });
      if (webhook?.secret) return webhook.secret;
      throw new Error(`Webhook ${delivery.webhookId} is gone or has no secret`);
    }
    if (!this.config.webhooks.signingSecret) throw new Error('NOTIFICATIONS_WEBHOOK_SECRET is not set');
    return this.config.webhooks.signingSecret;
  }
}
