import { type QueryRunner } from 'typeorm';

/**
 * The `timers` table every service with deadlines keeps in its own schema: one row per armed
 * timer, written in the transaction that decides the deadline. `(queue, due_at)` is the one index
 * the firing and the wake-up scheduling read, so their cost follows what is due, not what is armed.
 * A timer that failed for good keeps its row, with `failed_at` and the last error, for inspection.
 * Every durable timer of a service shares the table, told apart by queue: each one's migration
 * creates it unless an earlier one did.
 */
export async function createTimerTable(runner: QueryRunner): Promise<void> {
  await runner.query(`
    CREATE TABLE IF NOT EXISTS timers (
      queue text NOT NULL,
      id text NOT NULL,
      due_at timestamptz NOT NULL,
      data jsonb NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      last_error text,
      failed_at timestamptz,
      PRIMARY KEY (queue, id)
    )`);
  await runner.query(
    `CREATE INDEX IF NOT EXISTS timers_due_idx ON timers (queue, due_at) WHERE failed_at IS NULL`,
  );
}

export async function dropTimerTable(runner: QueryRunner): Promise<void> {
  await runner.query('DROP TABLE timers');
}

/** A timer keeps the W3C trace context of the transaction that armed it; its firing continues it. */
export async function addTimerTraceparent(runner: QueryRunner): Promise<void> {
  await runner.query('ALTER TABLE timers ADD COLUMN traceparent text');
}

export async function dropTimerTraceparent(runner: QueryRunner): Promise<void> {
  await runner.query('ALTER TABLE timers DROP COLUMN traceparent');
}
