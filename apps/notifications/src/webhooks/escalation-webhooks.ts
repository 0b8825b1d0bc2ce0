import { createHash } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type EventEnvelope, serializeEvent } from '@app/contracts';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryClaim, type DeliveryLedger } from '../deliveries/delivery-ledger';

/**
 * The ledger reason's last part for a `webhook:<url>` escalation target. It names the URL (by a
 * digest: reasons are shown to agents, URLs may carry credentials), so two webhooks in one step
 * are two deliveries, while the same URL named twice is still one.
 */
export function escalationWebhookReason(url: string): string {
  return `webhook.${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

/** Claims the signed delivery of an escalation to a URL, or records why none can be signed. */
export async function claimEscalationWebhook(
  manager: EntityManager,
  ledger: DeliveryLedger,
  webhooks: NotificationsConfig['webhooks'],
  claim: DeliveryClaim,
  url: string,
  event: EventEnvelope<'sla.escalated'>,
): Promise<void> {
  if (!webhooks.tenantSecrets.has(claim.tenant)) {
    await ledger.recordSkipped(
      manager,
      claim,
      `NOTIFICATIONS_TENANT_WEBHOOK_SECRETS has no secret for tenant ${claim.tenant}, so nothing can be signed`,
    );
    return;
  }
  await ledger.claim(manager, claim, {
    channel: 'webhook',
    to: url,
    message: { locale: 'en', subject: event.type, body: serializeEvent(event).toString('utf8') },
  });
}
