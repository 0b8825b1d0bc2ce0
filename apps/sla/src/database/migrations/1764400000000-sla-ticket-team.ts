import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The team a ticket is assigned to, for SLA reports per team. */
export class SlaTicketTeam1764400000000 implements MigrationInterface {
  name = 'SlaTicketTeam1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE sla_tickets ADD COLUMN team_id uuid');
    await runner.query('CREATE INDEX sla_clocks_report_idx ON sla_clocks (tenant, started_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX sla_clocks_report_idx');
    await runner.query('ALTER TABLE sla_tickets DROP COLUMN team_id');
  }
}
