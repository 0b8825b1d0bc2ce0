import { type SlaMetric, type TicketStatus } from '@app/contracts';
import { type Deadline, span } from '../calendars/deadline';
import { type SlaPolicy } from '../policies/sla-policy.entity';

/**
 * The "why this due time" record a clock carries: a start sentence, then one sentence per change,
 * each with the numbers an agent or admin needs to check it by hand. Only prose lives here; the
 * numbers are the transitions' to compute.
 */

type PolicyName = Pick<SlaPolicy, 'name' | 'version'>;

const metricName = (metric: SlaMetric) => metric.replace('_', ' ');

/** A later change, told after what came before it. */
function then(explanation: string, sentence: string): string {
  return `${explanation} ${sentence}`;
}

export function explainStart(
  policy: PolicyName & Pick<SlaPolicy, 'calendarId'>,
  metric: SlaMetric,
  target: string,
  calendarFound: boolean,
  deadline: Deadline,
): string {
  return (
    `Policy "${policy.name}" v${policy.version}: ${metricName(metric)} target ${target}. ` +
    (policy.calendarId && !calendarFound
      ? `Its calendar ${policy.calendarId} no longer exists, so the clock runs around the clock. `
      : '') +
    deadline.explanation
  );
}

/** A restart starts the story over: what came before is another wait. */
export function explainRestart(
  at: Date,
  policy: PolicyName,
  metric: SlaMetric,
  target: string,
  deadline: Deadline,
): string {
  return `Restarted ${at.toISOString()} under policy "${policy.name}" v${policy.version}: ${metricName(metric)} target ${target}. ${deadline.explanation}`;
}

export function explainPause(
  explanation: string,
  at: Date,
  status: TicketStatus,
  elapsedMs: number,
  target: string,
): string {
  return then(
    explanation,
    `Paused ${at.toISOString()} (${status}) with ${span(elapsedMs)} of ${target} used.`,
  );
}

export function explainResume(
  explanation: string,
  at: Date,
  pausedMs: number,
  remainingMs: number,
  dueAt: Date,
): string {
  return then(
    explanation,
    `Resumed ${at.toISOString()} after ${span(pausedMs)}: the remaining ${span(remainingMs)} counts from then, so it is due ${dueAt.toISOString()}.`,
  );
}

export function explainRevokedBreach(explanation: string, at: Date): string {
  return then(
    explanation,
    `Solved ${at.toISOString()}, before it was due: the breach announced when the solve had not yet arrived is revoked.`,
  );
}

export function explainRecompute(
  explanation: string,
  at: Date,
  reason: 'ticket_changed' | 'policy_applied',
  policy: PolicyName,
  target: string,
  elapsedMs: number,
  dueAt: Date | null,
): string {
  return then(
    explanation,
    `Recomputed ${at.toISOString()} (${reason.replace('_', ' ')}): policy "${policy.name}" ` +
      `v${policy.version}, target ${target}, ${span(elapsedMs)} already counted` +
      (dueAt ? `, so it is due ${dueAt.toISOString()}.` : ', paused.'),
  );
}
