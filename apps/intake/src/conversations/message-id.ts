import { HttpStatus } from '@nestjs/common';
import { ApiError } from '@app/http';

/**
 * RFC 5322 2.1.1: no header line is longer than 998 octets, so no Message-ID is either. Counted in
 * UTF-8 bytes, which also keeps every key well inside a Postgres btree entry (about 2.7 KB).
 */
export const MAX_MESSAGE_ID_LENGTH = 998;

const isBracketOrSpace = (char: string) => char === '<' || char === '>' || char.trim() === '';

/**
 * `<abc@mail.example>` and `abc@mail.example` are the same Message-ID; store it one way. The length
 * is checked before any work (and the index on messages holds it), and the brackets are stripped
 * by index: a regex such as `/>+$/` backtracks quadratically on a run of `>`. The result never
 * starts with `<`, which keeps every key chatMessageKey makes out of reach of a Message-ID.
 */
export function normaliseMessageId(raw: string, field = 'Message-ID'): string {
  if (raw.length > MAX_MESSAGE_ID_LENGTH || Buffer.byteLength(raw) > MAX_MESSAGE_ID_LENGTH) {
    throw new ApiError(
      HttpStatus.BAD_REQUEST,
      'message_id_too_long',
      `${field} is longer than ${MAX_MESSAGE_ID_LENGTH} bytes`,
    );
  }
  let start = 0;
  let end = raw.length;
  while (start < end && isBracketOrSpace(raw[start]) && raw[start] !== '>') start++;
  while (end > start && isBracketOrSpace(raw[end - 1]) && raw[end - 1] !== '<') end--;
  return raw.slice(start, end);
}

/**
 * The idempotency key of a chat widget's message. Prefixed with the conversation id's length in
 * UTF-8 bytes, so `("x:a", "1")` and `("x", "a:1")` differ, and starting with `<`, which no
 * normalised Message-ID (email or event) does: one channel can never name another channel's
 * message. Migration ChatMessageKeys moved the older `chat:<conversation>:<message>` keys here.
 */
export function chatMessageKey(conversationId: string, messageId: string): string {
  return `<chat>${Buffer.byteLength(conversationId)}:${conversationId}:${messageId}`;
}
