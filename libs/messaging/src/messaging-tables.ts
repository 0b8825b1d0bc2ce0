import { type QueryRunner } from 'typeorm';

/**
 * The outbox and inbox tables every service needs. Each app's first migration calls this so the
 * tables live in that service's own schema.
 */
export async function createMessagingTables(runner: QueryRunner): Promise<void> {
  await runner.query(`
    CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      event_id text NOT NULL,
      topic text NOT NULL,
      key text NOT NULL,
      payload jsonb NOT NULL,
      tenant text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`);
  await runner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL`);
  await runner.query(
    `CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL`,
  );
  await runner.query(`
    CREATE TABLE processed_events (
      consumer text NOT NULL,
      source text NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      tenant text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, source, event_id)
    )`);
}

/**
 * CloudEvents ids are unique per source, and a source is a tenant's own: two tenants' events with
 * the same source and id are two events, so the inbox keys them by tenant too (S2).
 */
export async function keyInboxByTenant(runner: QueryRunner): Promise<void> {
  await runner.query(`
    ALTER TABLE processed_events
      DROP CONSTRAINT processed_events_pkey,
      ADD PRIMARY KEY (consumer, tenant, source, event_id)`);
}

export async function unkeyInboxByTenant(runner: QueryRunner): Promise<void> {
  await runner.query(`
    ALTER TABLE processed_events
      DROP CONSTRAINT processed_events_pkey,
      ADD PRIMARY KEY (consumer, source, event_id)`);
}

export async function dropMessagingTables(runner: QueryRunner): Promise<void> {
  await runner.query('DROP TABLE processed_events');
  await runner.query('DROP TABLE outbox');
}
