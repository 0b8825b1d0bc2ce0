import { type IHeaders, type KafkaMessage } from 'kafkajs';

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

/**
 * The dead letter keeps the original key, value and headers, so it can be fixed and republished,
 * and says in `dlq-*` headers where it came from and why it failed.
 */
export function deadLetterMessage(
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>,
  cause: DeadLetterCause,
) {
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
