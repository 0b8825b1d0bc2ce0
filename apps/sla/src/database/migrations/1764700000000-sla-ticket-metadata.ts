import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Policies match on the ticket's metadata too, e.g. a customer tier. */
export class SlaTicketMetadata1764700000000 implements MigrationInterface {
  name = 'SlaTicketMetadata1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE sla_tickets ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE sla_tickets DROP COLUMN metadata');
  }
}
