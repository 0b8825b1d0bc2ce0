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

/** Each outbox row keeps the W3C trace context of the transaction that wrote it, for the relay. */
export async function addOutboxTraceparent(runner: QueryRunner): Promise<void> {
  await runner.query('ALTER TABLE outbox ADD COLUMN traceparent text');
}

export async function dropOutboxTraceparent(runner: QueryRunner): Promise<void> {
  await runner.query('ALTER TABLE outbox DROP COLUMN traceparent');
}

export async function dropMessagingTables(runner: QueryRunner): Promise<void> {
  await runner.query('DROP TABLE processed_events');
  await runner.query('DROP TABLE outbox');
}

/**
 * What the service's consumer dead-lettered, so operators can list and replay it over HTTP (the DLQ
 * topic is for tools that read Kafka). One row per consumed record: `(consumer_group, topic,
 * kafka_partition, kafka_offset)` is unique and the transport writes the row before it produces the
 * dead letter, so a crash between the two redelivers the record, fails it again and finds its row
 * (no second row), and a crash before the row loses nothing, because the offset is not committed.
 * `tenant` is null when the record named no tenant anyone vouches for. The original key, value
 * and headers are kept for replay while they fit the size a consumer accepts (`message_kept`);
 * `message_bytes` says how large it was either way.
 */
export async function createDeadLetterTable(runner: QueryRunner): Promise<void> {
  await runner.query(`
    CREATE TABLE dead_letters (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      consumer_group text NOT NULL,
      topic text NOT NULL,
      kafka_partition int NOT NULL,
      kafka_offset bigint NOT NULL,
      tenant text,
      reason text NOT NULL,
      detail text NOT NULL,
      attempts int NOT NULL,
      message_key bytea,
      message_value bytea,
      message_headers jsonb NOT NULL DEFAULT '[]',
      message_bytes int NOT NULL,
      message_kept boolean NOT NULL,
      created_at timestamptz NOT NULL,
      replay_count int NOT NULL DEFAULT 0,
      replayed_at timestamptz,
      replayed_by text,
      CONSTRAINT dead_letters_record_key UNIQUE (consumer_group, topic, kafka_partition, kafka_offset)
    )`);
  // Lists are per tenant, newest first; the operator's also takes the rows of no tenant.
  await runner.query(
    `CREATE INDEX dead_letters_tenant_idx ON dead_letters (tenant, created_at DESC, id DESC)`,
  );
}

export async function dropDeadLetterTable(runner: QueryRunner): Promise<void> {
  await runner.query('DROP TABLE dead_letters');
}
