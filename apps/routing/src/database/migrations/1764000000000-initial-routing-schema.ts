import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createMessagingTables, dropMessagingTables } from '@app/messaging';

export class InitialRoutingSchema1764000000000 implements MigrationInterface {
  name = 'InitialRoutingSchema1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        name text NOT NULL,
        lead_agent_id uuid,
        skills text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, name)
      )`);
    await runner.query(`
      CREATE TABLE agents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        name text NOT NULL,
        email text NOT NULL,
        skills text[] NOT NULL DEFAULT '{}',
        capacity int NOT NULL CHECK (capacity >= 0),
        status text NOT NULL CHECK (status IN ('online', 'away', 'offline')),
        team_id uuid REFERENCES teams (id) ON DELETE SET NULL,
        active_count int NOT NULL DEFAULT 0 CHECK (active_count >= 0),
        last_assigned_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, email)
      )`);
    await runner.query('CREATE INDEX agents_available_idx ON agents (tenant, status, active_count)');
    await runner.query(`
      CREATE TABLE routing_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        position int NOT NULL,
        match jsonb NOT NULL,
        assign jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX routing_rules_order_idx ON routing_rules (tenant, position)');
    await runner.query(`
      CREATE TABLE assignments (
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        agent_id uuid NOT NULL REFERENCES agents (id),
        team_id uuid,
        state text NOT NULL CHECK (state IN ('active', 'released')),
        rule_id uuid,
        reason text NOT NULL,
        assigned_at timestamptz NOT NULL,
        released_at timestamptz,
        PRIMARY KEY (tenant, ticket_id)
      )`);
    await runner.query(`CREATE INDEX assignments_agent_idx ON assignments (agent_id) WHERE state = 'active'`);
    await runner.query(`
      CREATE TABLE routing_queue (
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        priority text NOT NULL,
        priority_rank int NOT NULL,
        channel text NOT NULL,
        category text,
        tags text[] NOT NULL DEFAULT '{}',
        language text,
        queued_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, ticket_id)
      )`);
    await runner.query(
      'CREATE INDEX routing_queue_order_idx ON routing_queue (tenant, priority_rank, queued_at)',
    );
    await createMessagingTables(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropMessagingTables(runner);
    await runner.query('DROP TABLE routing_queue');
    await runner.query('DROP TABLE assignments');
    await runner.query('DROP TABLE routing_rules');
    await runner.query('DROP TABLE agents');
    await runner.query('DROP TABLE teams');
  }
}
