import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Webhook and Slack channels, the `sending`/`unconfirmed` states that keep a crash mid-send from
 * sending twice, editable templates, follow-ups and CSAT surveys.
 */
export class ChannelsAndFollowUps1764600000000 implements MigrationInterface {
  name = 'ChannelsAndFollowUps1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE deliveries
        DROP CONSTRAINT deliveries_channel_check,
        DROP CONSTRAINT deliveries_recipient_check,
        DROP CONSTRAINT deliveries_state_check,
        ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email', 'webhook', 'slack')),
        ADD CONSTRAINT deliveries_recipient_check
          CHECK (recipient IN ('customer', 'assignee', 'team_lead', 'agent', 'subscriber')),
        ADD CONSTRAINT deliveries_state_check
          CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'unconfirmed')),
        ADD COLUMN webhook_id uuid,
        ADD COLUMN send_started_at timestamptz`);
    await runner.query('DROP INDEX deliveries_pending_idx');
    await runner.query(
      `CREATE INDEX deliveries_open_idx ON deliveries (created_at) WHERE state IN ('pending', 'sending')`,
    );
    await runner.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('webhook', 'slack')),
        url text NOT NULL,
        events text[] NOT NULL,
        secret text,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX webhooks_tenant_idx ON webhooks (tenant) WHERE active');
    await runner.query(`
      CREATE TABLE templates (
        tenant text NOT NULL,
        kind text NOT NULL,
        locale text NOT NULL,
        subject text NOT NULL,
        body text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, kind, locale)
      )`);
    await runner.query(`
      ALTER TABLE ticket_contacts
        ADD COLUMN status text,
        ADD COLUMN channel text,
        ADD COLUMN status_epoch int NOT NULL DEFAULT 0,
        ADD COLUMN customer_time_zone text,
        ADD COLUMN team_lead_name text,
        ADD COLUMN team_lead_email text,
        ADD COLUMN first_response_due_at timestamptz`);
    await runner.query(`
      CREATE TABLE follow_ups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('acknowledgment', 'survey', 'auto_close', 'pending_reminder', 'auto_solve')),
        epoch int NOT NULL,
        due_at timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('scheduled', 'done', 'cancelled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz,
        UNIQUE (tenant, ticket_id, kind, epoch)
      )`);
    await runner.query(
      `CREATE INDEX follow_ups_scheduled_idx ON follow_ups (due_at) WHERE state = 'scheduled'`,
    );
    await runner.query(`
      CREATE TABLE surveys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        ticket_id uuid NOT NULL,
        epoch int NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        answered_at timestamptz,
        score int CHECK (score BETWEEN 1 AND 5),
        comment text,
        UNIQUE (tenant, ticket_id, epoch)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE surveys');
    await runner.query('DROP TABLE follow_ups');
    await runner.query(`
      ALTER TABLE ticket_contacts
        DROP COLUMN status, DROP COLUMN channel, DROP COLUMN status_epoch, DROP COLUMN customer_time_zone,
        DROP COLUMN team_lead_name, DROP COLUMN team_lead_email, DROP COLUMN first_response_due_at`);
    await runner.query('DROP TABLE templates');
    await runner.query('DROP TABLE webhooks');
    await runner.query('DROP INDEX deliveries_open_idx');
    await runner.query(
      `CREATE INDEX deliveries_pending_idx ON deliveries (created_at) WHERE state = 'pending'`,
    );
    await runner.query(`
      ALTER TABLE deliveries
        DROP COLUMN send_started_at,
        DROP COLUMN webhook_id,
        DROP CONSTRAINT deliveries_state_check,
        DROP CONSTRAINT deliveries_recipient_check,
        DROP CONSTRAINT deliveries_channel_check,
        ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('email')),
        ADD CONSTRAINT deliveries_recipient_check CHECK (recipient IN ('customer', 'assignee', 'team_lead')),
        ADD CONSTRAINT deliveries_state_check CHECK (state IN ('pending', 'sent', 'failed', 'skipped'))`);
  }
}
