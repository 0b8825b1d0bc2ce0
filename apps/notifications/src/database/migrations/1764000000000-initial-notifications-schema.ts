import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createMessagingTables, dropMessagingTables } from '@app/messaging';

export class InitialNotificationsSchema1764000000000 implements MigrationInterface {
  name = 'InitialNotificationsSchema1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE ticket_contacts (
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        reference text,
        subject text,
        language text,
        customer_email text,
        customer_name text,
        customer_locale text,
        assignee_id uuid,
        assignee_name text,
        assignee_email text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, ticket_id)
      )`);
    await runner.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        reason text NOT NULL,
        epoch int NOT NULL,
        channel text NOT NULL CHECK (channel IN ('email')),
        recipient text NOT NULL CHECK (recipient IN ('customer', 'assignee', 'team_lead')),
        to_address text,
        locale text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (tenant, ticket_id, reason, epoch)
      )`);
    await runner.query(
      `CREATE INDEX deliveries_pending_idx ON deliveries (created_at) WHERE state = 'pending'`,
    );
    await createMessagingTables(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropMessagingTables(runner);
    await runner.query('DROP TABLE deliveries');
    await runner.query('DROP TABLE ticket_contacts');
  }
}
