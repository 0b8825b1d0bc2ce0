import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Chat messages were keyed `chat:<conversation>:<message>`, which two conversations (`x:a`/`1` and
 * `x`/`a:1`) and any email Message-ID could also produce. They move to chatMessageKey's
 * `<chat><bytes>:<conversation>:<message>`; the ticket's thread_ref is the conversation, which
 * tells where the conversation ends and the message id begins.
 */
export class ChatMessageKeys1764750000000 implements MigrationInterface {
  name = 'ChatMessageKeys1764750000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `UPDATE messages m
       SET external_message_id = '<chat>' || octet_length(t.thread_ref) || ':' || t.thread_ref || ':'
         || substr(m.external_message_id, length(t.thread_ref) + 7)
       FROM tickets t
       WHERE t.id = m.ticket_id AND m.channel = 'chat' AND t.thread_ref IS NOT NULL
         AND left(m.external_message_id, length(t.thread_ref) + 6) = 'chat:' || t.thread_ref || ':'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      `UPDATE messages m
       SET external_message_id = 'chat:' || t.thread_ref || ':'
         || substr(m.external_message_id, length('<chat>' || octet_length(t.thread_ref) || ':' || t.thread_ref || ':') + 1)
       FROM tickets t
       WHERE t.id = m.ticket_id AND m.channel = 'chat' AND t.thread_ref IS NOT NULL
         AND left(m.external_message_id, length('<chat>' || octet_length(t.thread_ref) || ':' || t.thread_ref || ':'))
           = '<chat>' || octet_length(t.thread_ref) || ':' || t.thread_ref || ':'`,
    );
  }
}
