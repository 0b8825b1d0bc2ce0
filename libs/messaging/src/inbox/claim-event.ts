import { type EntityManager } from 'typeorm';
import { type AnyEvent } from '@app/contracts';

/**
 * Records that `consumer` applies `event`, inside the caller's transaction. Returns false when the
 * event was applied before. A concurrent duplicate blocks on the primary key until the first
 * transaction ends, then sees the conflict, so two deliveries can never both apply.
 */
export async function claimEvent(
  manager: EntityManager,
  consumer: string,
  event: AnyEvent,
): Promise<boolean> {
  const inserted: unknown[] = await manager.query(
    `INSERT INTO processed_events (consumer, source, event_id, event_type, tenant)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING
     RETURNING 1`,
    [consumer, event.source, event.id, event.type, event.tenant],
  );
  return inserted.length === 1;
}
