import { randomUUID } from 'node:crypto';
import { InvalidEventError } from './errors';
import { DEFAULT_TENANT, type EventEnvelope } from './envelope';
import { EVENTS, type EventData, type EventType } from './registry';
import { describeIssues } from './describe-issues';

export interface EventMeta {
  /** The publishing service, e.g. `ticketflow/intake`. */
  source: string;
  tenant?: string;
  subject?: string;
  correlationId?: string;
  causationId?: string;
  sequence?: number;
  id?: string;
  time?: Date;
}

/** Builds a validated event: a payload that does not match its schema never reaches Kafka. */
export function buildEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  meta: EventMeta,
): EventEnvelope<T> {
  const definition = EVENTS[type];
  const parsed = definition.data.safeParse(data);
  if (!parsed.success) {
    throw new InvalidEventError('invalid_data', `${type}: ${describeIssues(parsed.error)}`);
  }
  const id = meta.id ?? randomUUID();
  return {
    specversion: '1.0',
    id,
    source: meta.source,
    type,
    time: (meta.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    subject: meta.subject,
    tenant: meta.tenant ?? DEFAULT_TENANT,
    correlationid: meta.correlationId ?? id,
    causationid: meta.causationId,
    schemaversion: definition.version,
    sequence: meta.sequence,
    data: parsed.data as EventData<T>,
  };
}

/** Metadata for an event caused by `cause`: same tenant and correlation, causation points at it. */
export function causedBy(
  cause: Pick<EventEnvelope, 'id' | 'tenant' | 'correlationid'>,
  source: string,
  subject?: string,
): EventMeta {
  return {
    source,
    subject,
    tenant: cause.tenant,
    correlationId: cause.correlationid ?? cause.id,
    causationId: cause.id,
  };
}
