import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** SLA's own view of each ticket's attributes, to match policies again when the ticket changes. */
export class SlaTickets1764300000000 implements MigrationInterface {
  name = 'SlaTickets1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE sla_tickets (
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        channel text NOT NULL,
        priority text NOT NULL,
        category text,
        tags text[] NOT NULL DEFAULT '{}',
        status text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, ticket_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE sla_tickets');
  }
}
