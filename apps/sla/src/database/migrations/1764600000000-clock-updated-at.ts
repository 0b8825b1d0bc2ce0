import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * When a clock row last changed, stamped by Postgres itself so no code path can forget it. The
 * timer reconciler checks recently changed clocks every round instead of every clock.
 */
export class ClockUpdatedAt1764600000000 implements MigrationInterface {
  name = 'ClockUpdatedAt1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'ALTER TABLE sla_clocks ADD COLUMN updated_at timestamptz NOT NULL DEFAULT clock_timestamp()',
    );
    // clock_timestamp(), not now(): a long transaction's rows carry when they changed, not when it began.
    await runner.query(`
      CREATE FUNCTION sla_clocks_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at := clock_timestamp();
        RETURN NEW;
      END $$`);
    await runner.query(
      'CREATE TRIGGER sla_clocks_touch BEFORE UPDATE ON sla_clocks FOR EACH ROW EXECUTE FUNCTION sla_clocks_touch()',
    );
    await runner.query(
      `CREATE INDEX sla_clocks_active_updated ON sla_clocks (updated_at)
       WHERE state = 'running' OR (state = 'breached' AND stopped_at IS NULL)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX sla_clocks_active_updated');
    await runner.query('DROP TRIGGER sla_clocks_touch ON sla_clocks');
    await runner.query('DROP FUNCTION sla_clocks_touch()');
    await runner.query('ALTER TABLE sla_clocks DROP COLUMN updated_at');
  }
}
