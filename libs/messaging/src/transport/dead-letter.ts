import { type IHeaders, type KafkaMessage } from 'kafkajs';
import { LIMITS } from '@app/contracts';

export interface DeadLetterCause {
  originalTopic: string;
  partition: number;
  consumerGroup: string;
  /** A stable code, e.g. `malformed_json`, `schema_invalid`, `handler_failed`. */
  reason: string;
  /** What was wrong, never the payload: it may hold personal data (S4). */
  detail: string;
  attempts: number;
  failedAt: Date;
}

const MAX_DETAIL = 1_000;
/** Ours, added to the dead letter: never part of the original record, never replayed. */
const DEAD_LETTER_HEADER_PREFIX = 'dlq-';
/**
 * Key and headers kept beside a value of up to LIMITS.eventBytes. Ours are a ticket id, a trace
 * context and a publisher's signature: a few hundred bytes.
 */
const MAX_KEPT_KEY_AND_HEADER_BYTES = 64 * 1024;

type OriginalMessage = Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>;

/**
 * The dead letter keeps the original key, value and headers, so it can be fixed and republished,
 * and says in `dlq-*` headers where it came from and why it failed.
 */
export function deadLetterMessage(message: OriginalMessage, cause: DeadLetterCause) {
  const headers: IHeaders = {
    ...message.headers,
    'dlq-reason': cause.reason,
    'dlq-detail': cause.detail.slice(0, MAX_DETAIL),
    'dlq-original-topic': cause.originalTopic,
    'dlq-original-partition': String(cause.partition),
    'dlq-original-offset': message.offset,
    'dlq-consumer-group': cause.consumerGroup,
    'dlq-attempts': String(cause.attempts),
    'dlq-failed-at': cause.failedAt.toISOString(),
  };
  return { key: message.key, value: message.value, headers };
}

/** One header of the original record in its order, the value base64: headers are bytes, and may repeat. */
export type KeptHeader = [name: string, base64: string];

/** The row of `dead_letters` (createDeadLetterTable) for one dead-lettered record. */
export interface DeadLetterRecord {
  consumerGroup: string;
  /** The logical topic: a replay goes to its physical name in this deployment. */
  topic: string;
  partition: number;
  offset: string;
  /** Whose record this is, as far as anyone vouches for it; null when nobody does. */
  tenant: string | null;
  reason: string;
  detail: string;
  attempts: number;
  createdAt: Date;
  key: Buffer | null;
  value: Buffer | null;
  headers: KeptHeader[];
  /** Key, value and headers of the original, whether kept or not. */
  bytes: number;
  /** Whether key, value and headers are kept, so the record can be replayed. */
  kept: boolean;
}

/**
 * The record of a dead letter for the service's own table. A record larger than a consumer accepts
 * (LIMITS.eventBytes, `too_large`) is counted but not kept: one hostile publisher must not fill
 * the database, and replaying it could only be refused again. The DLQ topic still has it.
 */
export function deadLetterRecord(
  message: OriginalMessage,
  topic: string,
  cause: DeadLetterCause,
  tenant: string | null,
): DeadLetterRecord {
  const headers = originalHeaders(message.headers);
  const keyAndHeaderBytes =
    (message.key?.length ?? 0) +
    headers.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + value.length, 0);
  const valueBytes = message.value?.length ?? 0;
  const kept = valueBytes <= LIMITS.eventBytes && keyAndHeaderBytes <= MAX_KEPT_KEY_AND_HEADER_BYTES;
  return {
    consumerGroup: cause.consumerGroup,
    topic,
    partition: cause.partition,
    offset: message.offset,
    tenant,
    reason: cause.reason,
    // A field path can name a key of the payload, and Postgres text cannot hold U+0000.
    detail: cause.detail.slice(0, MAX_DETAIL).replaceAll('\u0000', '\ufffd'),
    attempts: cause.attempts,
    createdAt: cause.failedAt,
    key: kept ? message.key : null,
    value: kept ? message.value : null,
    headers: kept ? headers.map(([name, value]) => [name, value.toString('base64')]) : [],
    bytes: keyAndHeaderBytes + valueBytes,
    kept,
  };
}

/** The record's headers in order, repeated ones repeated, without any `dlq-*` header. */
function originalHeaders(headers: IHeaders | undefined): Array<[string, Buffer]> {
  return Object.entries(headers ?? {})
    .filter(([name]) => !name.startsWith(DEAD_LETTER_HEADER_PREFIX))
    .flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value])
        .filter((item): item is Buffer | string => item !== undefined)
        .map((item): [string, Buffer] => [name, Buffer.isBuffer(item) ? item : Buffer.from(item)]),
    );
}

/** Headers kept by deadLetterRecord, as a producer sends them again. */
export function replayHeaders(kept: readonly KeptHeader[]): IHeaders {
  const headers: Record<string, Buffer[]> = {};
  for (const [name, value] of kept) (headers[name] ??= []).push(Buffer.from(value, 'base64'));
  return Object.fromEntries(
    Object.entries(headers).map(([name, values]) => [name, values.length === 1 ? values[0] : values]),
  );
}
