import { type AnyEvent, causedBy, type EventMeta } from '@app/contracts';
import { currentCorrelation } from '@app/observability';

export const SLA_SOURCE = 'ticketflow/sla';

/** Event metadata for a clock change: caused by a consumed event, or by the clock itself (a timer). */
export function slaMeta(tenant: string, ticketId: string, cause?: AnyEvent): EventMeta {
  return cause
    ? causedBy(cause, SLA_SOURCE, ticketId)
    : { source: SLA_SOURCE, subject: ticketId, tenant, correlationId: currentCorrelation()?.correlationId };
}
