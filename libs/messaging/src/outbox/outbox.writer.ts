import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, type EventEnvelope, type EventType, topicOf } from '@app/contracts';
import { afterCommit } from '@app/database';
import { OutboxRelay } from './outbox-relay';

/**
 * Appends events to the outbox inside the caller's transaction; the commit wakes the relay, which
 * publishes them at once.
 */
@Injectable()
export class OutboxWriter {
  constructor(private readonly relay: OutboxRelay) {}

  async append(manager: EntityManager, ...events: Array<EventEnvelope<EventType> | AnyEvent>): Promise<void> {
    for (const event of events) {
      await manager.query(
        'INSERT INTO outbox (event_id, topic, key, payload, tenant) VALUES ($1, $2, $3, $4, $5)',
        [
          event.id,
          topicOf(event.type),
          // The ticket id keeps one ticket's events on one partition, in order.
          event.subject ?? event.id,
          JSON.stringify(event),
          event.tenant,
        ],
      );
    }
    await afterCommit(manager, () => Promise.resolve(this.relay.wake()));
  }
}
