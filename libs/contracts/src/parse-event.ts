import { InvalidEventError } from './errors';
import { type AnyEvent, type Envelope, envelopeSchema } from './envelope';
import { EVENTS, isEventType } from './registry';
import { type Topic } from './topics';
import { LIMITS } from './values';
import { describeIssues } from './describe-issues';

export interface ParseOptions {
  /** When given, an event whose type belongs on another topic is rejected. */
  topic?: Topic;
  maxBytes?: number;
  /** The tenant of an event that names none; `default` otherwise. */
  defaultTenant?: string;
}

/** Parses a structured-mode CloudEvent from Kafka bytes, validating the envelope and the payload. */
export function parseEvent(raw: Buffer | string | null, options: ParseOptions = {}): AnyEvent {
  const envelope = parseEnvelope(raw, options);
  const { type } = envelope;
  if (!isEventType(type))
    throw new InvalidEventError('unknown_type', `unknown event type ${JSON.stringify(type.slice(0, 100))}`);
  const definition = EVENTS[type];
  if (options.topic && definition.topic !== options.topic) {
    throw new InvalidEventError('wrong_topic', `${type} belongs on ${definition.topic}`);
  }

  const data = definition.data.safeParse(envelope.data);
  if (!data.success) throw new InvalidEventError('invalid_data', `${type}: ${describeIssues(data.error)}`);

  return {
    ...envelope,
    time: envelope.time ?? new Date().toISOString(),
    data: data.data,
  } as AnyEvent;
}

/**
 * The tenant a message names when at least its envelope is valid, whatever is wrong with its type
 * or data: whose a refused message is. Undefined when it is too large, not JSON, or no CloudEvent.
 */
export function envelopeTenant(
  raw: Buffer | string | null,
  options: Pick<ParseOptions, 'maxBytes' | 'defaultTenant'> = {},
): string | undefined {
  try {
    return parseEnvelope(raw, options).tenant;
  } catch (error) {
    if (error instanceof InvalidEventError) return undefined;
    throw error;
  }
}

function parseEnvelope(raw: Buffer | string | null, options: ParseOptions): Envelope {
  if (raw === null) throw new InvalidEventError('malformed_json', 'empty message value');
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  const maxBytes = options.maxBytes ?? LIMITS.eventBytes;
  if (size > maxBytes) throw new InvalidEventError('too_large', `${size} bytes exceeds ${maxBytes}`);

  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch {
    // JSON.parse quotes the input in its message; keep it out of headers and logs.
    throw new InvalidEventError('malformed_json', 'value is not valid JSON');
  }

  const envelope = envelopeSchema.safeParse(withDefaultTenant(json, options.defaultTenant));
  if (!envelope.success) throw new InvalidEventError('invalid_envelope', describeIssues(envelope.error));
  return envelope.data;
}

function withDefaultTenant(json: unknown, tenant: string | undefined): unknown {
  if (tenant === undefined || typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  return 'tenant' in json ? json : { ...json, tenant };
}

/** JSON bytes for Kafka. */
export function serializeEvent(event: AnyEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
