import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, type EventEnvelope, type EventType, topicOf } from '@app/contracts';
import { afterCommit } from '@app/database';
import { activeTraceparent } from '@app/observability';
import { OutboxRelay } from './outbox-relay';

/**
 * Appends events to the outbox inside the caller's transaction; the commit wakes the relay, which
 * publishes them at once.
 */
@Injectable()
export class OutboxWriter {
  constructor(private readonly relay: OutboxRelay) {}

  async append(manager: EntityManager, ...events: Array<EventEnvelope<EventType> | AnyEvent>): Promise<void> {
    if (events.length === 0) return;
    // One statement however many events; unnest keeps their order, and so their ids' order. The
    // relay publishes after this transaction has ended: the row keeps the trace it belongs to.
    await manager.query(
      `INSERT INTO outbox (event_id, topic, key, payload, tenant, traceparent)
       SELECT event_id, topic, key, payload, tenant, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) WITH ORDINALITY
         AS e(event_id, topic, key, payload, tenant, position)
       ORDER BY position`,
      [
        events.map((event) => event.id),
        events.map((event) => topicOf(event.type)),
        // The ticket id keeps one ticket's events on one partition, in order.
        events.map((event) => event.subject ?? event.id),
        events.map((event) => JSON.stringify(event)),
        events.map((event) => event.tenant),
        activeTraceparent(),
      ],
    );
    await afterCommit(manager, () => Promise.resolve(this.relay.wake()));
  }
}
