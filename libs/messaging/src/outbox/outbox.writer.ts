import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, type EventEnvelope, type EventType, topicOf } from '@app/contracts';

/** Appends events to the outbox inside the caller's transaction; the relay publishes them after commit. */
@Injectable()
export class OutboxWriter {
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
  }
}
