import { type AnyEvent, causedBy, type EventMeta } from '@app/contracts';
import { currentCorrelation } from '@app/observability';

/**
 * What made a service change something: an HTTP request, a BullMQ job (a timer, a send), or a consumed event. An event
 * emitted because of a consumed one carries its correlation and names it as the causation.
 */
export type ChangeCause = { kind: 'http' } | { kind: 'job' } | { kind: 'event'; event: AnyEvent };

/** Metadata for an event about `subject` (a ticket id), emitted by `source` because of `cause`. */
export function eventMeta(source: string, subject: string, tenant: string, cause: ChangeCause): EventMeta {
  if (cause.kind === 'event') return causedBy(cause.event, source, subject);
  return { source, subject, tenant, correlationId: currentCorrelation()?.correlationId };
}
