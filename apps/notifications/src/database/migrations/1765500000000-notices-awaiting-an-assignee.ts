import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A breach notice for a ticket nobody has yet is kept with what it says, so the ticket's first
 * assignee receives it: `awaiting_assignee` holds its template and values until then. The partial
 * index keeps the lookup each assignment makes to the few rows that wait.
 */
export class NoticesAwaitingAnAssignee1765500000000 implements MigrationInterface {
  name = 'NoticesAwaitingAnAssignee1765500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE deliveries ADD COLUMN awaiting_assignee jsonb');
    await runner.query(
      `CREATE INDEX deliveries_awaiting_assignee_idx ON deliveries (tenant, ticket_id)
       WHERE awaiting_assignee IS NOT NULL`,
    );
  }

  /** The release before this one reads no such column; a waiting notice stays skipped. */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX deliveries_awaiting_assignee_idx');
    await runner.query('ALTER TABLE deliveries DROP COLUMN awaiting_assignee');
  }
}
