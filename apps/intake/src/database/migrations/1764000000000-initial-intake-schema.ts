import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createMessagingTables, dropMessagingTables } from '@app/messaging';

export class InitialIntakeSchema1764000000000 implements MigrationInterface {
  name = 'InitialIntakeSchema1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        name text,
        locale text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE customer_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        customer_id uuid NOT NULL REFERENCES customers (id),
        kind text NOT NULL CHECK (kind IN ('email', 'phone', 'handle')),
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, kind, value)
      )`);
    await runner.query('CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id)');
    await runner.query('CREATE SEQUENCE ticket_reference_seq');
    await runner.query(`
      CREATE TABLE tickets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        reference text NOT NULL,
        external_id text,
        channel text NOT NULL,
        status text NOT NULL,
        priority text NOT NULL,
        subject text NOT NULL,
        category text,
        tags text[] NOT NULL DEFAULT '{}',
        language text,
        customer_id uuid NOT NULL REFERENCES customers (id),
        assignee_id uuid,
        first_response_at timestamptz,
        last_sequence int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, reference)
      )`);
    await runner.query(
      'CREATE UNIQUE INDEX tickets_external_id_idx ON tickets (tenant, external_id) WHERE external_id IS NOT NULL',
    );
    await runner.query('CREATE INDEX tickets_list_idx ON tickets (tenant, created_at DESC, id DESC)');
    await runner.query('CREATE INDEX tickets_customer_idx ON tickets (tenant, customer_id)');
    await runner.query('CREATE INDEX tickets_assignee_idx ON tickets (tenant, assignee_id)');
    await runner.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        ticket_id uuid NOT NULL REFERENCES tickets (id),
        author text NOT NULL CHECK (author IN ('customer', 'agent')),
        agent_id text,
        body text NOT NULL,
        internal boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX messages_ticket_idx ON messages (ticket_id, created_at)');
    await runner.query(`
      CREATE TABLE timeline_entries (
        id bigserial PRIMARY KEY,
        tenant text NOT NULL,
        ticket_id uuid NOT NULL REFERENCES tickets (id),
        event_id text NOT NULL,
        event_type text NOT NULL,
        source text NOT NULL,
        occurred_at timestamptz NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        UNIQUE (ticket_id, event_id)
      )`);
    await createMessagingTables(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropMessagingTables(runner);
    await runner.query('DROP TABLE timeline_entries');
    await runner.query('DROP TABLE messages');
    await runner.query('DROP TABLE tickets');
    await runner.query('DROP SEQUENCE ticket_reference_seq');
    await runner.query('DROP TABLE customer_identities');
    await runner.query('DROP TABLE customers');
  }
}
