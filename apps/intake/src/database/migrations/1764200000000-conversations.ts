import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Threading, reopening, follow-ups, chatbot escalations, customer merges and response tracking. */
export class Conversations1764200000000 implements MigrationInterface {
  name = 'Conversations1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE customers ADD COLUMN merged_into uuid REFERENCES customers (id)');
    await runner.query(`
      ALTER TABLE tickets
        ADD COLUMN thread_ref text,
        ADD COLUMN follow_up_of uuid REFERENCES tickets (id),
        ADD COLUMN language_source text,
        ADD COLUMN escalation_reason text,
        ADD COLUMN awaiting_reply_since timestamptz,
        ADD COLUMN last_response_at timestamptz,
        ADD COLUMN solved_at timestamptz,
        ADD COLUMN closed_at timestamptz`);
    await runner.query(
      'CREATE INDEX tickets_thread_idx ON tickets (tenant, thread_ref, created_at DESC) WHERE thread_ref IS NOT NULL',
    );
    await runner.query('CREATE INDEX tickets_tags_idx ON tickets USING gin (tags)');
    await runner.query(`
      ALTER TABLE messages
        ADD COLUMN channel text,
        ADD COLUMN external_message_id text,
        DROP CONSTRAINT messages_author_check,
        ADD CONSTRAINT messages_author_check CHECK (author IN ('customer', 'agent', 'bot'))`);
    // A sender's message id names one message: a redelivered email or chat message finds it here.
    await runner.query(
      `CREATE UNIQUE INDEX messages_external_id_idx ON messages (tenant, external_message_id)
       WHERE external_message_id IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX messages_external_id_idx');
    await runner.query(`DELETE FROM messages WHERE author = 'bot'`);
    await runner.query(`
      ALTER TABLE messages
        DROP CONSTRAINT messages_author_check,
        ADD CONSTRAINT messages_author_check CHECK (author IN ('customer', 'agent')),
        DROP COLUMN external_message_id,
        DROP COLUMN channel`);
    await runner.query('DROP INDEX tickets_tags_idx');
    await runner.query('DROP INDEX tickets_thread_idx');
    await runner.query(`
      ALTER TABLE tickets
        DROP COLUMN closed_at,
        DROP COLUMN solved_at,
        DROP COLUMN last_response_at,
        DROP COLUMN awaiting_reply_since,
        DROP COLUMN escalation_reason,
        DROP COLUMN language_source,
        DROP COLUMN follow_up_of,
        DROP COLUMN thread_ref`);
    await runner.query('ALTER TABLE customers DROP COLUMN merged_into');
  }
}
