import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Overflow is bounded: each assignment remembers how often its ticket was passed on, whom it was
 * passed on from (never chosen again for it), and when passing on stopped for good.
 */
export class BoundedOverflow1765100000000 implements MigrationInterface {
  name = 'BoundedOverflow1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE assignments
        ADD COLUMN overflow_count int NOT NULL DEFAULT 0,
        ADD COLUMN overflowed_from uuid[] NOT NULL DEFAULT '{}',
        ADD COLUMN overflow_stopped_at timestamptz`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE assignments
        DROP COLUMN overflow_count, DROP COLUMN overflowed_from, DROP COLUMN overflow_stopped_at`);
  }
}
