import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent } from '@app/contracts';
import { timelineDetails } from './timeline-details';

@Injectable()
export class TimelineWriter {
  /** Idempotent per (ticket, event): a republished event does not appear twice. */
  async record(manager: EntityManager, ticketId: string, event: AnyEvent): Promise<void> {
    await manager.query(
      `INSERT INTO timeline_entries (tenant, ticket_id, event_id, event_type, source, occurred_at, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ticket_id, event_id) DO NOTHING`,
      [
        event.tenant,
        ticketId,
        event.id,
        event.type,
        event.source,
        event.time,
        JSON.stringify(timelineDetails(event)),
      ],
    );
  }
}
