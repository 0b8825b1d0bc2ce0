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
      this.values(ticketId, event),
    );
  }

  /**
   * Records another service's event on the event's tenant's ticket, in one statement; false when
   * that tenant has no such ticket, and nothing was written.
   */
  async recordOnTicket(manager: EntityManager, ticketId: string, event: AnyEvent): Promise<boolean> {
    const [{ found }] = await manager.query<Array<{ found: boolean }>>(
      `WITH ticket AS (SELECT id FROM tickets WHERE id = $2 AND tenant = $1),
       recorded AS (
         INSERT INTO timeline_entries (tenant, ticket_id, event_id, event_type, source, occurred_at, details)
         SELECT $1, id, $3, $4, $5, $6, $7 FROM ticket
         ON CONFLICT (ticket_id, event_id) DO NOTHING)
       SELECT EXISTS (SELECT 1 FROM ticket) AS found`,
      this.values(ticketId, event),
    );
    return found;
  }

  private values(ticketId: string, event: AnyEvent): unknown[] {
    return [
      event.tenant,
      ticketId,
      event.id,
      event.type,
      event.source,
      event.time,
      JSON.stringify(timelineDetails(event)),
    ];
  }
}
