import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Rules match on the ticket's metadata too, e.g. a customer tier. */
export class RoutingTicketMetadata1764700000000 implements MigrationInterface {
  name = 'RoutingTicketMetadata1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE routing_tickets ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE routing_tickets DROP COLUMN metadata');
  }
}
