import {
  type EventData,
  type EventType,
  parseIsoDuration,
  type Priority,
  type SlaMetric,
  type TicketStatus,
} from '@app/contracts';
import { ALWAYS_OPEN, businessTimeBetween } from '../calendars/business-time';
import { type Calendar } from '../calendars/calendar.entity';
import { DeadlineCalculator } from '../calendars/deadline';
import { type SlaPolicy, targetFor } from '../policies/sla-policy.entity';
import { type SlaJobData } from './sla-timers';
import {
  explainPause,
  explainRecompute,
  explainRestart,
  explainResume,
  explainRevokedBreach,
  explainStart,
} from './clock-explanation';
import { dueAtOf, type ScheduledTimer, timersOf, warningAtOf } from './clock-schedule';
import { type SlaClock } from './sla-clock.entity';

/**
 * Every change of an SLA clock, as pure functions of the clock, the terms it runs under, the
 * instant and the fact that caused it. They read no database, no queue and no wall clock: the
 * caller loads, passes `now`, and persists what comes back in one transaction (ClockService.apply).
 * Every change that moves the deadline bumps the epoch, so timers armed for the old one are stale (R4).
 */

/** The policy version a clock runs under and the calendar it counts on (none: around the clock). */
export interface ClockContext {
  policy: SlaPolicy;
  calendar: Calendar | null;
}

/** A clock as stored, without the columns Postgres stamps. */
export type ClockRow = Omit<SlaClock, 'createdAt'>;

/** What a transition may change; who the clock belongs to and its assignee never change here. */
export type ClockChanges = Partial<Omit<ClockRow, 'id' | 'tenant' | 'ticketId' | 'metric' | 'assigneeId'>>;

type SlaEventType = Extract<EventType, `sla.${string}`>;

/** An SLA event's type and data; the envelope (id, time, causation) is the publisher's. */
export type SlaEventDraft = { [T in SlaEventType]: { type: T; data: EventData<T> } }[SlaEventType];

export interface ClockTransition {
  changes: ClockChanges;
  events: SlaEventDraft[];
  /** Timers this change makes stale; removing them is tidiness, the epoch check is the guarantee. */
  disarm: SlaJobData[];
  /** Timers the clock needs after the change. */
  arm: ScheduledTimer[];
}

export interface ClockStart {
  clock: ClockRow;
  events: SlaEventDraft[];
  arm: ScheduledTimer[];
}

/** Compute reads nothing but its arguments; the injectable calculator adds only calendar lookup. */
const deadlines = new DeadlineCalculator();

const ACTIVE: ReadonlyArray<SlaClock['state']> = ['running', 'paused'];

export function isActive(clock: Pick<SlaClock, 'state'>): boolean {
  return ACTIVE.includes(clock.state);
}

// The SLA events, each built here and nowhere else.

function about(clock: Pick<SlaClock, 'ticketId' | 'id' | 'metric'>) {
  return { ticketId: clock.ticketId, clockId: clock.id, metric: clock.metric };
}

function started(clock: ClockRow): SlaEventDraft {
  return {
    type: 'sla.started',
    data: {
      ...about(clock),
      policyId: clock.policyId,
      policyVersion: clock.policyVersion,
      target: clock.target,
      startedAt: clock.startedAt.toISOString(),
      dueAt: clock.dueAt.toISOString(),
    },
  };
}

function breached(clock: SlaClock, breachedAt: Date): SlaEventDraft {
  return {
    type: 'sla.breached',
    data: {
      ...about(clock),
      policyId: clock.policyId,
      policyVersion: clock.policyVersion,
      dueAt: clock.dueAt.toISOString(),
      breachedAt: breachedAt.toISOString(),
    },
  };
}

// Timers a change leaves behind.

/** The running epoch's breach and warnings. */
function runningTimers(clock: SlaClock, policy: Pick<SlaPolicy, 'warnAt'>): SlaJobData[] {
  return [
    { kind: 'breach', clockId: clock.id, epoch: clock.epoch },
    ...policy.warnAt.map((fraction) => ({
      kind: 'warning' as const,
      clockId: clock.id,
      epoch: clock.epoch,
      fraction,
    })),
  ];
}

/** The escalation step a breached clock waits for. */
function nextEscalation(clock: SlaClock): SlaJobData[] {
  return [{ kind: 'escalation', clockId: clock.id, step: clock.escalatedSteps }];
}

// Ticket-driven transitions.

export interface StartFact {
  /** Chosen by the caller, so the events and timers can name the clock before it is inserted. */
  clockId: string;
  tenant: string;
  ticketId: string;
  metric: SlaMetric;
  priority: Priority;
}

/** A new clock under `context`, running from `at`; none when the policy has no target for it. */
export function start(context: ClockContext, at: Date, fact: StartFact): ClockStart | null {
  const { policy, calendar } = context;
  const target = targetFor(policy.targets, fact.metric, fact.priority);
  if (!target) return null;
  const deadline = deadlines.compute(calendar, at, target);
  const clock: ClockRow = {
    id: fact.clockId,
    tenant: fact.tenant,
    ticketId: fact.ticketId,
    metric: fact.metric,
    policyId: policy.id,
    policyVersion: policy.version,
    target,
    targetMs: parseIsoDuration(target),
    calendarId: calendar?.id ?? null,
    startedAt: at,
    runningSince: at,
    pausedSince: null,
    dueAt: deadline.dueAt,
    elapsedMs: 0,
    pausedSeconds: 0,
    warned: [],
    escalatedSteps: 0,
    state: 'running',
    epoch: 0,
    assigneeId: null,
    metAt: null,
    breachedAt: null,
    stoppedAt: null,
    explanation: explainStart(policy, fact.metric, target, calendar !== null, deadline),
  };
  return { clock, events: [started(clock)], arm: timersOf(clock, policy, calendar) };
}

/**
 * A new wait on the same clock (reopen, the next customer message), counted from zero again.
 * The clock keeps its stored target and policy; only the due time follows `context`'s target.
 */
export function restart(
  clock: SlaClock,
  context: ClockContext,
  at: Date,
  priority: Priority,
): ClockTransition | null {
  const { policy, calendar } = context;
  const target = targetFor(policy.targets, clock.metric, priority);
  if (!target) return null;
  const deadline = deadlines.compute(calendar, at, target);
  // The priority may have changed since the clock last ran: its target is the one it has now.
  const changes: ClockChanges = {
    state: 'running',
    target,
    targetMs: parseIsoDuration(target),
    startedAt: at,
    runningSince: at,
    pausedSince: null,
    elapsedMs: 0,
    pausedSeconds: 0,
    warned: [],
    escalatedSteps: 0,
    metAt: null,
    breachedAt: null,
    stoppedAt: null,
    dueAt: deadline.dueAt,
    epoch: clock.epoch + 1,
    explanation: explainRestart(at, policy, clock.metric, target, deadline),
  };
  const after = { ...clock, ...changes };
  return {
    changes,
    events: [started(after)],
    disarm: runningTimers(clock, policy),
    arm: timersOf(after, policy, calendar),
  };
}

/** Stops counting: the business time run so far is banked, the due time waits for the resume. */
export function pause(
  clock: SlaClock,
  context: ClockContext,
  at: Date,
  status: TicketStatus,
): ClockTransition {
  const counted = clock.runningSince
    ? businessTimeBetween(context.calendar ?? ALWAYS_OPEN, clock.runningSince, at)
    : 0;
  const elapsedMs = clock.elapsedMs + counted;
  return {
    changes: {
      state: 'paused',
      elapsedMs,
      runningSince: null,
      pausedSince: at,
      epoch: clock.epoch + 1,
      explanation: explainPause(clock.explanation, at, status, elapsedMs, clock.target),
    },
    events: [
      { type: 'sla.paused', data: { ...about(clock), status, elapsedMs, pausedAt: at.toISOString() } },
    ],
    disarm: runningTimers(clock, context.policy),
    arm: [],
  };
}

/** Counts again from `at`: what is left of the target runs on, so the due time moves by the pause. */
export function resume(clock: SlaClock, context: ClockContext, at: Date): ClockTransition {
  const pausedMs = Math.max(0, at.getTime() - (clock.pausedSince ?? at).getTime());
  const running = {
    ...clock,
    state: 'running' as const,
    runningSince: at,
    pausedSince: null,
    pausedSeconds: clock.pausedSeconds + Math.round(pausedMs / 1000),
    epoch: clock.epoch + 1,
  };
  const dueAt = dueAtOf(running, context.calendar);
  const changes: ClockChanges = {
    state: running.state,
    runningSince: running.runningSince,
    pausedSince: running.pausedSince,
    pausedSeconds: running.pausedSeconds,
    epoch: running.epoch,
    dueAt,
    explanation: explainResume(clock.explanation, at, pausedMs, clock.targetMs - clock.elapsedMs, dueAt),
  };
  return {
    changes,
    events: [
      {
        type: 'sla.resumed',
        data: { ...about(clock), pausedMs, dueAt: dueAt.toISOString(), resumedAt: at.toISOString() },
      },
    ],
    disarm: [],
    arm: timersOf(running, context.policy, context.calendar),
  };
}

/**
 * The target was met at `at`. `revokesBreach`: the solve came before the due time but reached us
 * after the breach timer fired, so that breach is withdrawn and its escalation chain ends.
 */
export function meet(
  clock: SlaClock,
  context: ClockContext,
  at: Date,
  revokesBreach = false,
): ClockTransition {
  return {
    changes: {
      ...(revokesBreach
        ? { breachedAt: null, explanation: explainRevokedBreach(clock.explanation, at) }
        : {}),
      state: 'met',
      metAt: at,
      runningSince: null,
      pausedSince: null,
      epoch: clock.epoch + 1,
    },
    events: [
      {
        type: 'sla.met',
        data: {
          ...about(clock),
          dueAt: clock.dueAt.toISOString(),
          metAt: at.toISOString(),
          ...(revokesBreach ? { revokesBreach } : {}),
        },
      },
    ],
    disarm: [...runningTimers(clock, context.policy), ...(revokesBreach ? nextEscalation(clock) : [])],
    arm: [],
  };
}

/**
 * Solved at `at`, after the due time, before the breach timer got to it (a slow worker, a lost
 * timer): the target was missed, so it is a breach announced `now`, with nothing left to escalate.
 */
export function breachLate(
  clock: SlaClock,
  context: ClockContext,
  at: Date,
  now: Date,
  { answered = false } = {},
): ClockTransition {
  return {
    changes: {
      state: 'breached',
      breachedAt: now,
      ...(answered ? { metAt: at } : {}),
      stoppedAt: at,
      runningSince: null,
      epoch: clock.epoch + 1,
    },
    events: [breached(clock, now)],
    disarm: runningTimers(clock, context.policy),
    arm: [],
  };
}

/** The reply came after the breach: it stays a breach, records when it came, and stops escalating. */
export function answerLate(clock: SlaClock, at: Date): ClockTransition {
  return {
    changes: { metAt: at, stoppedAt: clock.stoppedAt ?? at },
    events: [],
    disarm: nextEscalation(clock),
    arm: [],
  };
}

/** A breached clock whose ticket is solved: the escalation chain ends here. */
export function stop(clock: SlaClock, at: Date): ClockTransition {
  // A late resolution is still when it was resolved; a response clock keeps waiting for its reply time.
  const metAt = clock.metric === 'resolution' ? (clock.metAt ?? at) : clock.metAt;
  return { changes: { stoppedAt: at, metAt }, events: [], disarm: nextEscalation(clock), arm: [] };
}

/**
 * A running clock past its due time at `at` had breached by then, whether or not its breach timer
 * has fired yet: the timer may be waiting out a Postgres or Redis outage, or this event may simply
 * be read first. A fact after the due time finds the clock breached, as a solve already does.
 */
function overdueAt(clock: SlaClock, at: Date): boolean {
  return clock.state === 'running' && at > clock.dueAt;
}

/** A running clock's breach at `now`. The epoch stays: the escalation chain hangs off this breach. */
function breachAt(clock: SlaClock, context: ClockContext, now: Date): Omit<ClockTransition, 'disarm'> {
  const changes = { state: 'breached' as const, breachedAt: now };
  return {
    changes,
    events: [breached(clock, now)],
    arm: timersOf({ ...clock, ...changes }, context.policy, context.calendar),
  };
}

/** What an overdue clock's breach timer would have done, done now; the timer is left nothing. */
export function breachOverdue(clock: SlaClock, context: ClockContext, now: Date): ClockTransition {
  return { ...breachAt(clock, context, now), disarm: runningTimers(clock, context.policy) };
}

/**
 * A public agent reply at `at` meets the response clocks, or, after the due time, answers them late
 * with the breach recorded; a resolution clock waits for the solve.
 */
export function onAgentReply(
  clock: SlaClock,
  context: ClockContext,
  at: Date,
  now: Date,
): ClockTransition | null {
  if (clock.metric === 'resolution') return null;
  if (overdueAt(clock, at)) return breachLate(clock, context, at, now, { answered: true });
  if (isActive(clock)) return meet(clock, context, at);
  if (clock.state === 'breached' && !clock.metAt) return answerLate(clock, at);
  return null;
}

/**
 * Whether a response clock still waits for its reply: running or paused, or breached and not yet
 * answered. A customer who writes again while unanswered is still in the same wait, which is
 * measured from their oldest unanswered message; restarting it would breach the same wait twice.
 */
function awaitsReply(clock: SlaClock): boolean {
  return isActive(clock) || (clock.state === 'breached' && !clock.metAt);
}

/**
 * Whether a customer message begins a new wait for a reply: only once the first response was
 * given (before it, the first-response clock is the one waiting) and no next-response clock
 * already waits. The new wait runs under the first-response clock's policy version.
 */
export function newWait(
  clocks: readonly SlaClock[],
): { policyOf: SlaClock; next: SlaClock | undefined } | null {
  const first = clocks.find((clock) => clock.metric === 'first_response');
  const next = clocks.find((clock) => clock.metric === 'next_response');
  if (!first || awaitsReply(first) || (next && awaitsReply(next))) return null;
  return { policyOf: first, next };
}

export interface StatusChange {
  from: TicketStatus;
  to: TicketStatus;
  /** When the ticket changed status, as intake recorded it. */
  at: Date;
  priority: Priority;
}

/**
 * Pending and on-hold (or whatever the policy says) pause the clock; leaving them resumes it;
 * solving meets it, or breaches it when solved after the due time; reopening restarts resolution.
 * A solve racing the breach timer is decided by the solve time, not by which arrived first.
 */
export function onStatusChange(
  clock: SlaClock,
  context: ClockContext,
  change: StatusChange,
  now: Date,
): ClockTransition | null {
  const { from, to, at, priority } = change;
  const { policy } = context;
  if (to === 'solved' || to === 'closed') {
    if (clock.state === 'running' && at > clock.dueAt) return breachLate(clock, context, at, now);
    if (isActive(clock)) return meet(clock, context, at);
    if (clock.state === 'breached' && clock.breachedAt && at < clock.breachedAt && at <= clock.dueAt) {
      // Solved in time; the breach fired only because the solve reached us late.
      return meet(clock, context, at, true);
    }
    if (clock.state === 'breached' && !clock.stoppedAt) return stop(clock, at);
    return null;
  }
  if (from === 'solved' && clock.metric === 'resolution' && targetFor(policy.targets, 'resolution', priority))
    return restart(clock, context, at, priority);
  if (policy.pauseOn.includes(to) && clock.state === 'running')
    return overdueAt(clock, at) ? breachOverdue(clock, context, now) : pause(clock, context, at, to);
  if (!policy.pauseOn.includes(to) && clock.state === 'paused') return resume(clock, context, at);
  return null;
}

export interface Recompute {
  reason: 'ticket_changed' | 'policy_applied';
  priority: Priority;
}

/** The target an active clock moves to under `policy`, or null when its terms stay as they are. */
export function recomputedTarget(
  clock: SlaClock,
  policy: Pick<SlaPolicy, 'id' | 'version' | 'targets'>,
  priority: Priority,
): string | null {
  if (!isActive(clock)) return null;
  const target = targetFor(policy.targets, clock.metric, priority);
  if (!target) return null;
  const sameTerms =
    clock.policyId === policy.id && clock.policyVersion === policy.version && clock.target === target;
  return sameTerms ? null : target;
}

/**
 * Moves an active clock from the terms it runs under (`current`) to `next`, at `now`, keeping the
 * business time already counted and the pauses already taken. What ran so far counts on the old
 * calendar; from `now` on the new one applies.
 */
export function recompute(
  clock: SlaClock,
  current: ClockContext,
  next: ClockContext,
  fact: Recompute,
  now: Date,
): ClockTransition | null {
  const { policy, calendar } = next;
  const target = recomputedTarget(clock, policy, fact.priority);
  if (!target) return null;
  // Breached under the terms it ran under before the change came: new terms do not undo that.
  if (overdueAt(clock, now)) return breachOverdue(clock, current, now);
  const running = clock.state === 'running';
  const counted = clock.runningSince
    ? businessTimeBetween(current.calendar ?? ALWAYS_OPEN, clock.runningSince, now)
    : 0;
  const moved = {
    ...clock,
    elapsedMs: clock.elapsedMs + counted,
    runningSince: clock.runningSince ? now : null,
    policyId: policy.id,
    policyVersion: policy.version,
    target,
    targetMs: parseIsoDuration(target),
    calendarId: calendar?.id ?? null,
    epoch: clock.epoch + 1,
  };
  const dueAt = running ? dueAtOf(moved, calendar) : clock.dueAt;
  const changes: ClockChanges = {
    elapsedMs: moved.elapsedMs,
    runningSince: moved.runningSince,
    policyId: moved.policyId,
    policyVersion: moved.policyVersion,
    target,
    targetMs: moved.targetMs,
    calendarId: moved.calendarId,
    epoch: moved.epoch,
    dueAt,
    explanation: explainRecompute(
      clock.explanation,
      now,
      fact.reason,
      policy,
      target,
      moved.elapsedMs,
      running ? dueAt : null,
    ),
  };
  return {
    changes,
    events: [
      {
        type: 'sla.recomputed',
        data: {
          ...about(clock),
          reason: fact.reason,
          previous: {
            policyId: clock.policyId,
            policyVersion: clock.policyVersion,
            target: clock.target,
            dueAt: running ? clock.dueAt.toISOString() : null,
          },
          current: {
            policyId: policy.id,
            policyVersion: policy.version,
            target,
            dueAt: running ? dueAt.toISOString() : null,
          },
          elapsedMs: moved.elapsedMs,
          recomputedAt: now.toISOString(),
        },
      },
    ],
    disarm: runningTimers(clock, current.policy),
    arm: timersOf(moved, policy, calendar),
  };
}

// Time-driven transitions.

export type TimerFiring =
  | { outcome: 'stale' }
  /** Redis fired before the clock's time: nothing happens before `at`. */
  | { outcome: 'early'; at: Date }
  /** `at` is when the timer was due, for measuring lateness. */
  | { outcome: 'fired'; at: Date; transition: ClockTransition };

/**
 * A warning, breach or escalation timer firing at `now`. The clock decides, not the job: a clock
 * met, paused, moved to another epoch, already warned at that fraction or already escalated that
 * far makes the job stale; one that fires before its time is early and changes nothing.
 */
export function fireTimer(clock: SlaClock, context: ClockContext, job: SlaJobData, now: Date): TimerFiring {
  const { policy, calendar } = context;
  switch (job.kind) {
    case 'warning': {
      if (clock.state !== 'running' || clock.epoch !== job.epoch || clock.warned.includes(job.fraction))
        return { outcome: 'stale' };
      const at = warningAtOf(clock, calendar, job.fraction);
      if (at > now) return { outcome: 'early', at };
      return {
        outcome: 'fired',
        at,
        transition: {
          changes: { warned: [...clock.warned, job.fraction] },
          events: [
            {
              type: 'sla.warning',
              data: {
                ...about(clock),
                fraction: job.fraction,
                dueAt: clock.dueAt.toISOString(),
                warnedAt: now.toISOString(),
              },
            },
          ],
          disarm: [],
          arm: [],
        },
      };
    }
    case 'breach': {
      if (clock.state !== 'running' || clock.epoch !== job.epoch) return { outcome: 'stale' };
      if (clock.dueAt > now) return { outcome: 'early', at: clock.dueAt };
      return {
        outcome: 'fired',
        at: clock.dueAt,
        transition: { ...breachAt(clock, context, now), disarm: [] },
      };
    }
    case 'escalation': {
      const step = policy.escalation[job.step];
      if (
        clock.state !== 'breached' ||
        clock.stoppedAt ||
        !clock.breachedAt ||
        !step ||
        clock.escalatedSteps !== job.step
      )
        return { outcome: 'stale' };
      const at = new Date(clock.breachedAt.getTime() + parseIsoDuration(step.after));
      if (at > now) return { outcome: 'early', at };
      const changes = { escalatedSteps: job.step + 1 };
      return {
        outcome: 'fired',
        at,
        transition: {
          changes,
          events: [
            {
              type: 'sla.escalated',
              data: {
                ...about(clock),
                step: job.step,
                after: step.after,
                notify: step.notify,
                assigneeId: clock.assigneeId,
                breachedAt: clock.breachedAt.toISOString(),
                escalatedAt: now.toISOString(),
              },
            },
          ],
          disarm: [],
          arm: timersOf({ ...clock, ...changes }, policy, calendar),
        },
      };
    }
  }
}
