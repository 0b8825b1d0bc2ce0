import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The sending system's own attributes of a ticket, such as a customer tier. */
export class TicketMetadata1764600000000 implements MigrationInterface {
  name = 'TicketMetadata1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE tickets ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE tickets DROP COLUMN metadata');
  }
}
