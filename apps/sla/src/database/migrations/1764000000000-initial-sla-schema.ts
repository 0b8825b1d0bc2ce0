import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createMessagingTables, dropMessagingTables } from '@app/messaging';

export class InitialSlaSchema1764000000000 implements MigrationInterface {
  name = 'InitialSlaSchema1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE calendars (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        name text NOT NULL,
        timezone text NOT NULL,
        weekly jsonb NOT NULL,
        holidays date[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, name)
      )`);
    await runner.query(`
      CREATE TABLE sla_policies (
        id uuid NOT NULL,
        version int NOT NULL,
        tenant text NOT NULL,
        name text NOT NULL,
        position int NOT NULL,
        match jsonb NOT NULL,
        targets jsonb NOT NULL,
        calendar_id uuid REFERENCES calendars (id),
        pause_on text[] NOT NULL,
        warn_at float8[] NOT NULL,
        escalation jsonb NOT NULL,
        current boolean NOT NULL,
        active boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, version)
      )`);
    await runner.query('CREATE UNIQUE INDEX sla_policies_current_idx ON sla_policies (id) WHERE current');
    await runner.query(
      'CREATE INDEX sla_policies_match_idx ON sla_policies (tenant, position) WHERE current AND active',
    );
    await runner.query(`
      CREATE TABLE sla_clocks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        metric text NOT NULL CHECK (metric IN ('first_response', 'next_response', 'resolution')),
        policy_id uuid NOT NULL,
        policy_version int NOT NULL,
        target text NOT NULL,
        started_at timestamptz NOT NULL,
        due_at timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('running', 'paused', 'met', 'breached')),
        epoch int NOT NULL DEFAULT 0,
        paused_seconds int NOT NULL DEFAULT 0,
        assignee_id uuid,
        met_at timestamptz,
        breached_at timestamptz,
        explanation text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (policy_id, policy_version) REFERENCES sla_policies (id, version),
        UNIQUE (tenant, ticket_id, metric)
      )`);
    await runner.query(`CREATE INDEX sla_clocks_running_idx ON sla_clocks (due_at) WHERE state = 'running'`);
    await createMessagingTables(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropMessagingTables(runner);
    await runner.query('DROP TABLE sla_clocks');
    await runner.query('DROP TABLE sla_policies');
    await runner.query('DROP TABLE calendars');
  }
}
