import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Quiet hours and digests per recipient, and deliveries held back to be sent together. */
export class QuietHoursAndBatching1764700000000 implements MigrationInterface {
  name = 'QuietHoursAndBatching1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE recipient_preferences (
        tenant text NOT NULL,
        email text NOT NULL,
        quiet_from text,
        quiet_to text,
        time_zone text NOT NULL DEFAULT 'UTC',
        digest boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, email)
      )`);
    await runner.query(`
      ALTER TABLE deliveries
        ADD COLUMN hold_until timestamptz,
        ADD COLUMN batch_key text,
        ADD COLUMN sent_with uuid`);
    await runner.query(
      `CREATE INDEX deliveries_batch_idx ON deliveries (tenant, to_address, batch_key) WHERE state = 'pending' AND batch_key IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX deliveries_batch_idx');
    await runner.query(
      'ALTER TABLE deliveries DROP COLUMN sent_with, DROP COLUMN batch_key, DROP COLUMN hold_until',
    );
    await runner.query('DROP TABLE recipient_preferences');
  }
}
