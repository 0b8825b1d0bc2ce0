import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type NotificationsConfig } from '../config/notifications.config';
import { type Delivery } from '../deliveries/delivery.entity';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { postWebhook } from '../webhooks/webhook-http';
import { WebhookSecrets } from '../webhooks/webhook-secrets';
import { Webhook } from '../webhooks/webhook.entity';
import { type ChannelAdapter, ReceiverRefusedError } from './channel';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature';

/**
 * Signed JSON over HTTPS, only to destinations the SSRF guard lets through (see webhook-http). Every attempt carries the delivery id as `Idempotency-Key`, so a receiver
 * that deduplicates on it sees each delivery once even when an attempt's outcome was lost.
 */
@Injectable()
export class WebhookChannel implements ChannelAdapter {
  readonly channel = 'webhook' as const;
  readonly repeatable = true;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecrets,
  ) {}

  async send(delivery: Delivery): Promise<void> {
    const secret = await this.secretFor(delivery);
    const status = await postWebhook({
      url: delivery.toAddress ?? '',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ticketflow-webhooks/1',
        'idempotency-key': delivery.id,
        'ticketflow-delivery': delivery.id,
        [SIGNATURE_HEADER]: signPayload(secret, delivery.body),
      },
      body: delivery.body,
      timeoutMs: this.config.webhooks.timeoutMs,
      allow: this.config.webhooks.allowedDestinations,
    });
    if (status < 200 || status >= 300) throw new ReceiverRefusedError(status);
  }

  /**
   * A subscription's own secret, or its tenant's for URLs an SLA policy names: never one shared by
   * every tenant, which would let any of them forge deliveries to the others' receivers.
   */
  private async secretFor(delivery: Delivery): Promise<string> {
    if (delivery.webhookId) {
      const webhook = await this.dataSource.getRepository(Webhook).findOneBy({ id: delivery.webhookId });
      if (webhook?.secret) return this.secrets.open(webhook.tenant, webhook.secret);
      throw new Error(`Webhook ${delivery.webhookId} is gone or has no secret`);
    }
    const secret = this.config.webhooks.tenantSecrets.get(delivery.tenant);
    if (!secret)
      throw new Error(`NOTIFICATIONS_TENANT_WEBHOOK_SECRETS has no secret for tenant ${delivery.tenant}`);
    return secret;
  }
}
