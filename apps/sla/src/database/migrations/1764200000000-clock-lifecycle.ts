import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Clocks that pause, warn and escalate. A clock now keeps the business time it has counted
 * (`elapsed_ms`) and since when it has been counting again (`running_since`), so pausing and
 * resuming never lose or double-count time, and the due time is recomputed from what remains.
 */
export class ClockLifecycle1764200000000 implements MigrationInterface {
  name = 'ClockLifecycle1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE sla_clocks
        ADD COLUMN target_ms bigint,
        ADD COLUMN calendar_id uuid,
        ADD COLUMN elapsed_ms bigint NOT NULL DEFAULT 0,
        ADD COLUMN running_since timestamptz,
        ADD COLUMN paused_since timestamptz,
        ADD COLUMN warned float8[] NOT NULL DEFAULT '{}',
        ADD COLUMN escalated_steps int NOT NULL DEFAULT 0,
        ADD COLUMN stopped_at timestamptz`);
    // Clocks started before: they ran from their start, around the clock.
    await runner.query(`
      UPDATE sla_clocks SET target_ms = (EXTRACT(EPOCH FROM (due_at - started_at)) * 1000)::bigint,
        running_since = CASE WHEN state = 'running' THEN started_at END`);
    await runner.query('ALTER TABLE sla_clocks ALTER COLUMN target_ms SET NOT NULL');
    await runner.query(
      `CREATE INDEX sla_clocks_escalating_idx ON sla_clocks (breached_at) WHERE state = 'breached' AND stopped_at IS NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX sla_clocks_escalating_idx');
    await runner.query(`
      ALTER TABLE sla_clocks
        DROP COLUMN stopped_at, DROP COLUMN escalated_steps, DROP COLUMN warned, DROP COLUMN paused_since,
        DROP COLUMN running_since, DROP COLUMN elapsed_ms, DROP COLUMN calendar_id, DROP COLUMN target_ms`);
  }
}
