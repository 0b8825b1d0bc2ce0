import { type EntityManager } from 'typeorm';
import { type AnyEvent } from '@app/contracts';

/** Identifies an event in the inbox: CloudEvents ids are unique per source, and sources per tenant. */
export function inboxKey(event: Pick<AnyEvent, 'tenant' | 'source' | 'id'>): string {
  return `${event.tenant}\u0000${event.source}\u0000${event.id}`;
}

/**
 * Records that `consumer` applies `events`, inside the caller's transaction, in one statement.
 * Returns the inbox keys that were new; an event applied before is missing from the set. A
 * concurrent duplicate blocks on the primary key until the first transaction ends, then sees the
 * conflict, so two deliveries can never both apply. The same event twice in `events` is claimed once.
 */
export async function claimEvents(
  manager: EntityManager,
  consumer: string,
  events: readonly AnyEvent[],
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const claimed = await manager.query<Array<{ tenant: string; source: string; event_id: string }>>(
    `INSERT INTO processed_events (consumer, source, event_id, event_type, tenant)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT DO NOTHING
     RETURNING tenant, source, event_id`,
    [
      consumer,
      events.map((event) => event.source),
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => event.tenant),
    ],
  );
  return new Set(
    claimed.map((row) => inboxKey({ tenant: row.tenant, source: row.source, id: row.event_id })),
  );
}

/** Claims one event; false when it was applied before. */
export async function claimEvent(
  manager: EntityManager,
  consumer: string,
  event: AnyEvent,
): Promise<boolean> {
  return (await claimEvents(manager, consumer, [event])).size === 1;
}
