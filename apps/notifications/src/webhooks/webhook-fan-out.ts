import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, eventTypesOn, serializeEvent, Topic } from '@app/contracts';
import { type TicketContact } from '../contacts/ticket-contact.entity';
import { DeliveryLedger } from '../deliveries/delivery-ledger';
import { Webhook } from './webhook.entity';

/**
 * What a subscription may ask for: every ticket, assignment and SLA event, and CSAT answers.
 * Not `notification.sent`: each webhook delivery emits one, which would feed itself.
 */
export const SUBSCRIBABLE_EVENTS = [
  ...eventTypesOn(Topic.TicketEvents),
  ...eventTypesOn(Topic.AssignmentEvents),
  ...eventTypesOn(Topic.SlaEvents),
  'survey.answered',
] as const;

/** A one-line summary for chat channels; the webhook channel carries the whole CloudEvent. */
function summaryOf(event: AnyEvent, reference: string): string {
  const data = event.data as Record<string, unknown>;
  const details = ['metric', 'to', 'score', 'step', 'dueAt', 'agentId']
    .filter((key) => data[key] !== undefined && data[key] !== null)
    .map((key) => `${key}: ${String(data[key])}`);
  return [`${event.type} on ${reference}`, ...details].join(' · ');
}

/** Forwards each event to the tenant's subscriptions for it, one ledger row per subscription and event. */
@Injectable()
export class WebhookFanOut {
  constructor(private readonly ledger: DeliveryLedger) {}

  async apply(manager: EntityManager, event: AnyEvent, contact: TicketContact | null): Promise<void> {
    const ticketId = (event.data as { ticketId?: string }).ticketId;
    if (!ticketId) return;
    const webhooks = await manager
      .getRepository(Webhook)
      .createQueryBuilder('w')
      .where('w.tenant = :tenant AND w.active', { tenant: event.tenant })
      .andWhere(`(:type = ANY(w.events) OR '*' = ANY(w.events))`, { type: event.type })
      .getMany();
    const reference = contact?.reference ?? ticketId;
    for (const webhook of webhooks) {
      const claim = {
        tenant: event.tenant,
        ticketId,
        reason: `webhook.${webhook.id}.${event.id}`,
        epoch: 0,
        recipient: 'subscriber' as const,
      };
      await this.ledger.claim(manager, claim, {
        channel: webhook.kind,
        to: webhook.url,
        webhookId: webhook.id,
        message:
          webhook.kind === 'webhook'
            ? { locale: 'en', subject: event.type, body: serializeEvent(event).toString('utf8') }
            : { locale: 'en', subject: `[${reference}] ${event.type}`, body: summaryOf(event, reference) },
      });
    }
  }
}
