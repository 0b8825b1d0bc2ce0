import { KafkaJSError } from 'kafkajs';

/**
 * Infrastructure failures (database down, broker unreachable, deadlock) will pass by themselves,
 * so the message is retried until they do; sending it to the DLQ would make an outage lose work.
 * Anything else is the message's own fault or a bug: bounded retries, then the DLQ (R6).
 */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof KafkaJSError) return error.retriable;
  const code = errorCode(error);
  if (!code) return false;
  // Postgres classes 08 (connection), 53 (resources), 57P (shutdown), 40001/40P01 (serialization, deadlock).
  if (/^(08|53|57P)/.test(code) || code === '40001' || code === '40P01') return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code);
}

/** A log- and header-safe description: error class and code, never a message that may quote data. */
export function describeFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const code = errorCode(error);
  return code ? `${name} (${code})` : name;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string') return direct;
  const driver = (error as { driverError?: { code?: unknown } }).driverError?.code;
  if (typeof driver === 'string') return driver;
  // "Connection terminated unexpectedly" from pg carries no code.
  if (error instanceof Error && /Connection terminated|connect ECONNREFUSED/.test(error.message))
    return 'ECONNRESET';
  return undefined;
}
