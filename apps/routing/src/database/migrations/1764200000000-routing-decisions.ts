import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What routing needs beyond the first assignment: its own view of each ticket (to route it again on
 * reopen, overflow or an agent going offline), what a queued ticket waits for, the overflow timer
 * and decision of each assignment, and an audit trail of admin changes.
 */
export class RoutingDecisions1764200000000 implements MigrationInterface {
  name = 'RoutingDecisions1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE routing_tickets (
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        channel text NOT NULL,
        priority text NOT NULL,
        category text,
        tags text[] NOT NULL DEFAULT '{}',
        language text,
        status text NOT NULL,
        first_response_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, ticket_id)
      )`);
    // Tickets routed before this table existed: what the queue and assignments remember of them.
    await runner.query(`
      INSERT INTO routing_tickets (tenant, ticket_id, channel, priority, category, tags, language, status)
      SELECT tenant, ticket_id, channel, priority, category, tags, language, 'new' FROM routing_queue
      ON CONFLICT DO NOTHING`);
    await runner.query(`
      ALTER TABLE routing_queue
        ADD COLUMN team_id uuid,
        ADD COLUMN required_skills text[] NOT NULL DEFAULT '{}',
        ADD COLUMN rule_id uuid`);
    await runner.query(`
      ALTER TABLE assignments
        ADD COLUMN epoch int NOT NULL DEFAULT 1,
        ADD COLUMN responded_at timestamptz,
        ADD COLUMN overflow_after_ms bigint,
        ADD COLUMN overflow_due_at timestamptz,
        ADD COLUMN decision jsonb`);
    await runner.query(`
      CREATE INDEX assignments_overflow_idx ON assignments (overflow_due_at)
      WHERE state = 'active' AND responded_at IS NULL AND overflow_due_at IS NOT NULL`);
    await runner.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        tenant text NOT NULL,
        entity_type text NOT NULL CHECK (entity_type IN ('agent', 'team', 'routing_rule')),
        entity_id uuid NOT NULL,
        action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
        actor text NOT NULL,
        before jsonb,
        after jsonb,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX audit_log_entity_idx ON audit_log (tenant, entity_type, entity_id, id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE audit_log');
    await runner.query('DROP INDEX assignments_overflow_idx');
    await runner.query(`
      ALTER TABLE assignments
        DROP COLUMN decision, DROP COLUMN overflow_due_at, DROP COLUMN overflow_after_ms,
        DROP COLUMN responded_at, DROP COLUMN epoch`);
    await runner.query(
      'ALTER TABLE routing_queue DROP COLUMN rule_id, DROP COLUMN required_skills, DROP COLUMN team_id',
    );
    await runner.query('DROP TABLE routing_tickets');
  }
}
