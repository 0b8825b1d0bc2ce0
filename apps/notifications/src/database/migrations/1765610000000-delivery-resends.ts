import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * An operator may resend a delivery that failed for good or could not be confirmed: the ledger row
 * records how often, when and by which key, and `attempts_before_resend` where the new round of
 * attempts starts, since `attempts` keeps counting every try the row ever had.
 */
export class DeliveryResends1765610000000 implements MigrationInterface {
  name = 'DeliveryResends1765610000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE deliveries
        ADD COLUMN resend_count int NOT NULL DEFAULT 0,
        ADD COLUMN resent_at timestamptz,
        ADD COLUMN resent_by text,
        ADD COLUMN attempts_before_resend int NOT NULL DEFAULT 0`);
  }

  /** The release before this one bounds a resent row's retries by all its attempts: it fails sooner. */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE deliveries
        DROP COLUMN resend_count,
        DROP COLUMN resent_at,
        DROP COLUMN resent_by,
        DROP COLUMN attempts_before_resend`);
  }
}
