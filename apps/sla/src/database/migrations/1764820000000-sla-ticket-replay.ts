import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What a what-if replay needs of a ticket that had no clock: when it was opened, first answered in
 * public and solved. Rows from before are filled from what is known: the replica's own creation
 * (written when the ticket arrived), a first-response clock's reply, and for a ticket solved or
 * closed its last change, the latest it can have been solved.
 */
export class SlaTicketReplay1764820000000 implements MigrationInterface {
  name = 'SlaTicketReplay1764820000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE sla_tickets
        ADD COLUMN opened_at timestamptz,
        ADD COLUMN first_replied_at timestamptz,
        ADD COLUMN solved_at timestamptz`);
    await runner.query(`
      UPDATE sla_tickets t SET
        opened_at = COALESCE(
          (SELECT min(c.started_at) FROM sla_clocks c
           WHERE c.tenant = t.tenant AND c.ticket_id = t.ticket_id AND c.metric <> 'next_response'),
          t.created_at),
        first_replied_at = (SELECT c.met_at FROM sla_clocks c
           WHERE c.tenant = t.tenant AND c.ticket_id = t.ticket_id AND c.metric = 'first_response'),
        solved_at = CASE WHEN t.status IN ('solved', 'closed') THEN t.updated_at END`);
    await runner.query('ALTER TABLE sla_tickets ALTER COLUMN opened_at SET NOT NULL');
    await runner.query('CREATE INDEX sla_tickets_opened_idx ON sla_tickets (tenant, opened_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX sla_tickets_opened_idx');
    await runner.query(`
      ALTER TABLE sla_tickets
        DROP COLUMN opened_at,
        DROP COLUMN first_replied_at,
        DROP COLUMN solved_at`);
  }
}
