import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import {
  buildEvent,
  type EventEnvelope,
  parseIsoDuration,
  type SlaMetric,
  type TicketStatus,
  ticketMatches,
} from '@app/contracts';
import { type ChangeCause, eventMeta, OutboxWriter } from '@app/messaging';
import { businessTimeBetween, ALWAYS_OPEN } from '../calendars/business-time';
import { type Calendar } from '../calendars/calendar.entity';
import { DeadlineCalculator, span } from '../calendars/deadline';
import { MATCH_ORDER, SlaPolicy, targetFor } from '../policies/sla-policy.entity';
import { SLA_SOURCE } from '../sla.tokens';
import { type SlaJobData } from '../timers/sla-jobs';
import { SlaTimers } from '../timers/sla-timers';
import { dueAtOf, type ScheduledTimer, timersOf } from './clock-schedule';
import { SlaClock } from './sla-clock.entity';
import { SlaTicket } from './sla-ticket.entity';

/** The clocks a ticket starts with; the next-response clock starts with each waiting customer message. */
const STARTING_METRICS: SlaMetric[] = ['first_response', 'resolution'];

const ACTIVE: ReadonlyArray<SlaClock['state']> = ['running', 'paused'];

export interface ClockContext {
  policy: SlaPolicy;
  calendar: Calendar | null;
}

/**
 * The life of every SLA clock: start, pause and resume with the ticket's status, meet on the
 * qualifying reply or resolution, restart on reopen. Postgres holds the truth (elapsed business
 * time, running since, epoch); each change bumps the epoch, disarms the old epoch's timers and
 * arms the new ones, so a timer that fires late for an old epoch does nothing (R4).
 */
@Injectable()
export class ClockService {
  private readonly logger = new Logger(ClockService.name);

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly timers: SlaTimers,
    private readonly deadlines: DeadlineCalculator,
  ) {}

  /** Starts the first-response and resolution clocks of the first matching policy. */
  async startClocks(manager: EntityManager, event: EventEnvelope<'ticket.created'>): Promise<void> {
    const policies = await manager.find(SlaPolicy, {
      where: { tenant: event.tenant, current: true, active: true },
      order: MATCH_ORDER,
    });
    const policy = policies.find((candidate) => ticketMatches(candidate.match, event.data));
    if (!policy) {
      this.logger.log({ msg: 'No SLA policy matches; no clock started', ticketId: event.data.ticketId });
      return;
    }
    const startedAt = new Date(event.data.createdAt);
    for (const metric of STARTING_METRICS) {
      await this.start(manager, event.tenant, event.data.ticketId, metric, policy, startedAt, {
        kind: 'event',
        event,
      });
    }
  }

  /** Public agent replies meet response clocks; a waiting customer message starts the next-response clock. */
  async messageAdded(manager: EntityManager, event: EventEnvelope<'ticket.message.added'>): Promise<void> {
    const { data } = event;
    const at = new Date(data.createdAt);
    const cause: ChangeCause = { kind: 'event', event };
    const clocks = await this.lockClocks(manager, event.tenant, data.ticketId);
    if (data.author === 'agent' && !data.internal) {
      for (const clock of clocks) {
        if (clock.metric === 'resolution') continue;
        if (ACTIVE.includes(clock.state)) await this.meet(manager, clock, at, cause);
        else if (clock.state === 'breached' && !clock.metAt) await this.answerLate(manager, clock, at);
      }
      return;
    }
    if (data.author !== 'customer') return;
    const first = clocks.find((clock) => clock.metric === 'first_response');
    const next = clocks.find((clock) => clock.metric === 'next_response');
    // Before the first response the first-response clock is the one waiting; later, a new wait begins.
    if (!first || ACTIVE.includes(first.state) || (next && ACTIVE.includes(next.state))) return;
    const policy = await manager.findOneByOrFail(SlaPolicy, {
      id: first.policyId,
      version: first.policyVersion,
    });
    if (
      !targetFor(policy.targets, 'next_response', await this.priorityOf(manager, event.tenant, data.ticketId))
    )
      return;
    if (next) {
      await this.restart(manager, next, policy, at, cause);
    } else {
      await this.start(manager, event.tenant, data.ticketId, 'next_response', policy, at, cause);
    }
  }

  /**
   * Pending and on-hold (or whatever the policy says) pause the clocks; leaving them resumes;
   * solving meets them; reopening restarts resolution.
   */
  async statusChanged(manager: EntityManager, event: EventEnvelope<'ticket.status.changed'>): Promise<void> {
    const { from, to } = event.data;
    const at = new Date(event.data.changedAt);
    const cause: ChangeCause = { kind: 'event', event };
    const priority = await this.priorityOf(manager, event.tenant, event.data.ticketId);
    for (const clock of await this.lockClocks(manager, event.tenant, event.data.ticketId)) {
      const { policy } = await this.context(manager, clock);
      if (to === 'solved' || to === 'closed') {
        if (clock.state === 'running' && at > clock.dueAt) await this.breachLate(manager, clock, at, cause);
        else if (ACTIVE.includes(clock.state)) await this.meet(manager, clock, at, cause);
        else if (
          clock.state === 'breached' &&
          clock.breachedAt &&
          at < clock.breachedAt &&
          at <= clock.dueAt
        ) {
          // Solved in time; the breach fired only because the solve reached us late.
          await this.meet(manager, clock, at, cause, true);
        } else if (clock.state === 'breached' && !clock.stoppedAt) await this.stop(manager, clock, at);
      } else if (
        from === 'solved' &&
        clock.metric === 'resolution' &&
        targetFor(policy.targets, 'resolution', priority)
      ) {
        await this.restart(manager, clock, policy, at, cause);
      } else if (policy.pauseOn.includes(to) && clock.state === 'running') {
        await this.pause(manager, clock, to, at, cause);
      } else if (!policy.pauseOn.includes(to) && clock.state === 'paused') {
        await this.resume(manager, clock, at, cause);
      }
    }
  }

  /**
   * Moves a ticket's running and paused clocks to the terms of the policy it matches now, keeping
   * the business time already counted and the pauses already taken. After a ticket change only a
   * different policy moves them (a new version of the same policy waits until an admin applies it);
   * `policy_applied` moves the tickets under `policyId` to its current version.
   */
  async recompute(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    reason: 'ticket_changed' | 'policy_applied',
    cause: ChangeCause,
    policyId?: string,
  ): Promise<number> {
    const ticket = await manager.findOneBy(SlaTicket, { tenant, ticketId });
    if (!ticket) return 0;
    const policies = await manager.find(SlaPolicy, {
      where: { tenant, current: true, active: true },
      order: MATCH_ORDER,
    });
    const matched = policies.find((candidate) => ticketMatches(candidate.match, ticket));
    if (!matched || (policyId && matched.id !== policyId)) return 0;
    const now = new Date();
    let moved = 0;
    for (const clock of await this.lockClocks(manager, tenant, ticketId)) {
      if (!ACTIVE.includes(clock.state)) continue;
      // A ticket change keeps the version the clock runs under when the policy stays the same:
      // only an admin applies a new version to open tickets. Its targets may still differ by priority.
      const policy =
        reason === 'ticket_changed' && clock.policyId === matched.id
          ? await manager.findOneByOrFail(SlaPolicy, { id: clock.policyId, version: clock.policyVersion })
          : matched;
      const target = targetFor(policy.targets, clock.metric, ticket.priority);
      if (!target) continue;
      const sameTerms =
        clock.policyId === policy.id && clock.policyVersion === policy.version && clock.target === target;
      if (sameTerms) continue;
      const old = await this.context(manager, clock);
      await this.disarmAll(clock, old.policy);
      const previous = {
        policyId: clock.policyId,
        policyVersion: clock.policyVersion,
        target: clock.target,
        dueAt: clock.state === 'running' ? clock.dueAt.toISOString() : null,
      };
      if (clock.runningSince) {
        // What ran so far counts on the old calendar; from now on the new one applies.
        clock.elapsedMs += businessTimeBetween(old.calendar ?? ALWAYS_OPEN, clock.runningSince, now);
        clock.runningSince = now;
      }
      const calendar = await this.deadlines.calendarOf(manager, tenant, policy.calendarId);
      Object.assign(clock, {
        policyId: policy.id,
        policyVersion: policy.version,
        target,
        targetMs: parseIsoDuration(target),
        calendarId: calendar?.id ?? null,
        epoch: clock.epoch + 1,
      });
      if (clock.state === 'running') clock.dueAt = dueAtOf(clock, calendar);
      clock.explanation =
        `${clock.explanation} Recomputed ${now.toISOString()} (${reason.replace('_', ' ')}): policy "${policy.name}" ` +
        `v${policy.version}, target ${target}, ${span(clock.elapsedMs)} already counted` +
        (clock.state === 'running' ? `, so it is due ${clock.dueAt.toISOString()}.` : ', paused.');
      await manager.save(clock);
      await this.outbox.append(
        manager,
        buildEvent(
          'sla.recomputed',
          {
            ticketId,
            clockId: clock.id,
            metric: clock.metric,
            reason,
            previous,
            current: {
              policyId: policy.id,
              policyVersion: policy.version,
              target,
              dueAt: clock.state === 'running' ? clock.dueAt.toISOString() : null,
            },
            elapsedMs: clock.elapsedMs,
            recomputedAt: now.toISOString(),
          },
          eventMeta(SLA_SOURCE, ticketId, tenant, cause),
        ),
      );
      await this.armAll(clock, policy, calendar);
      moved += 1;
    }
    return moved;
  }

  /** Every timer a clock should have now, for arming after a change and for the reconciler. */
  async timersFor(manager: EntityManager, clock: SlaClock) {
    const { policy, calendar } = await this.context(manager, clock);
    return timersOf(clock, policy, calendar);
  }

  /** The timers of many clocks, reading each policy version and calendar once. */
  async timersForAll(manager: EntityManager, clocks: SlaClock[]) {
    const contexts = new Map<string, Promise<ClockContext>>();
    const timers: ScheduledTimer[] = [];
    for (const clock of clocks) {
      const key = `${clock.tenant}/${clock.policyId}/${clock.policyVersion}/${clock.calendarId ?? ''}`;
      let context = contexts.get(key);
      if (!context) {
        context = this.context(manager, clock);
        contexts.set(key, context);
      }
      const { policy, calendar } = await context;
      timers.push(...timersOf(clock, policy, calendar));
    }
    return timers;
  }

  async context(
    manager: EntityManager,
    clock: Pick<SlaClock, 'policyId' | 'policyVersion' | 'calendarId' | 'tenant'>,
  ): Promise<ClockContext> {
    const policy = await manager.findOneByOrFail(SlaPolicy, {
      id: clock.policyId,
      version: clock.policyVersion,
    });
    const calendar = await this.deadlines.calendarOf(manager, clock.tenant, clock.calendarId);
    return { policy, calendar };
  }

  private async start(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    metric: SlaMetric,
    policy: SlaPolicy,
    startedAt: Date,
    cause: ChangeCause,
  ): Promise<void> {
    const target = targetFor(policy.targets, metric, await this.priorityOf(manager, tenant, ticketId));
    if (!target) return;
    const calendar = await this.deadlines.calendarOf(manager, tenant, policy.calendarId);
    const deadline = this.deadlines.compute(calendar, startedAt, target);
    const explanation =
      `Policy "${policy.name}" v${policy.version}: ${metric.replace('_', ' ')} target ${target}. ` +
      (policy.calendarId && !calendar
        ? `Its calendar ${policy.calendarId} no longer exists, so the clock runs around the clock. `
        : '') +
      deadline.explanation;
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(SlaClock)
      .values({
        tenant,
        ticketId,
        metric,
        policyId: policy.id,
        policyVersion: policy.version,
        target,
        targetMs: parseIsoDuration(target),
        calendarId: calendar?.id ?? null,
        startedAt,
        runningSince: startedAt,
        dueAt: deadline.dueAt,
        state: 'running',
        epoch: 0,
        explanation,
      })
      .orIgnore()
      .returning('id')
      .execute();
    const clockId = (inserted.raw as Array<{ id: string }>)[0]?.id;
    if (!clockId) return;
    const clock = await manager.findOneByOrFail(SlaClock, { id: clockId });
    await this.announceStart(manager, clock, cause);
    await this.armAll(clock, policy, calendar);
  }

  /** A new wait on the same clock (reopen, the next customer message): counted from zero again. */
  private async restart(
    manager: EntityManager,
    clock: SlaClock,
    policy: SlaPolicy,
    at: Date,
    cause: ChangeCause,
  ): Promise<void> {
    const target = targetFor(
      policy.targets,
      clock.metric,
      await this.priorityOf(manager, clock.tenant, clock.ticketId),
    );
    if (!target) return;
    const calendar = await this.deadlines.calendarOf(manager, clock.tenant, clock.calendarId);
    await this.disarmAll(clock, policy);
    const deadline = this.deadlines.compute(calendar, at, target);
    Object.assign(clock, {
      state: 'running',
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
      explanation: `Restarted ${at.toISOString()} under policy "${policy.name}" v${policy.version}: ${clock.metric.replace('_', ' ')} target ${target}. ${deadline.explanation}`,
    });
    await manager.save(clock);
    await this.announceStart(manager, clock, cause);
    await this.armAll(clock, policy, calendar);
  }

  private async pause(
    manager: EntityManager,
    clock: SlaClock,
    status: TicketStatus,
    at: Date,
    cause: ChangeCause,
  ) {
    const { policy, calendar } = await this.context(manager, clock);
    await this.disarmAll(clock, policy);
    const counted = clock.runningSince
      ? businessTimeBetween(calendar ?? ALWAYS_OPEN, clock.runningSince, at)
      : 0;
    Object.assign(clock, {
      state: 'paused',
      elapsedMs: clock.elapsedMs + counted,
      runningSince: null,
      pausedSince: at,
      epoch: clock.epoch + 1,
      explanation: `${clock.explanation} Paused ${at.toISOString()} (${status}) with ${span(clock.elapsedMs + counted)} of ${clock.target} used.`,
    });
    await manager.save(clock);
    await this.emit(manager, clock, cause, {
      type: 'sla.paused',
      data: { status, elapsedMs: clock.elapsedMs, pausedAt: at.toISOString() },
    });
  }

  private async resume(manager: EntityManager, clock: SlaClock, at: Date, cause: ChangeCause) {
    const { policy, calendar } = await this.context(manager, clock);
    const pausedMs = Math.max(0, at.getTime() - (clock.pausedSince ?? at).getTime());
    clock.state = 'running';
    clock.runningSince = at;
    clock.pausedSince = null;
    clock.pausedSeconds += Math.round(pausedMs / 1000);
    clock.epoch += 1;
    clock.dueAt = dueAtOf(clock, calendar);
    clock.explanation = `${clock.explanation} Resumed ${at.toISOString()} after ${span(pausedMs)}: the remaining ${span(clock.targetMs - clock.elapsedMs)} counts from then, so it is due ${clock.dueAt.toISOString()}.`;
    await manager.save(clock);
    await this.emit(manager, clock, cause, {
      type: 'sla.resumed',
      data: { pausedMs, dueAt: clock.dueAt.toISOString(), resumedAt: at.toISOString() },
    });
    await this.armAll(clock, policy, calendar);
  }

  private async meet(
    manager: EntityManager,
    clock: SlaClock,
    at: Date,
    cause: ChangeCause,
    revokesBreach = false,
  ) {
    const { policy } = await this.context(manager, clock);
    await this.disarmAll(clock, policy);
    if (revokesBreach) {
      await this.timers.disarm([{ kind: 'escalation', clockId: clock.id, step: clock.escalatedSteps }]);
      clock.breachedAt = null;
      clock.explanation = `${clock.explanation} Solved ${at.toISOString()}, before it was due: the breach announced when the solve had not yet arrived is revoked.`;
    }
    clock.state = 'met';
    clock.metAt = at;
    clock.runningSince = null;
    clock.pausedSince = null;
    clock.epoch += 1;
    await manager.save(clock);
    await this.emit(manager, clock, cause, {
      type: 'sla.met',
      data: {
        dueAt: clock.dueAt.toISOString(),
        metAt: at.toISOString(),
        ...(revokesBreach ? { revokesBreach } : {}),
      },
    });
  }

  /**
   * Solved after the due time, before the breach timer got to it (a slow worker, a lost timer):
   * the target was missed, so it is a breach, with nothing left to escalate.
   */
  private async breachLate(manager: EntityManager, clock: SlaClock, at: Date, cause: ChangeCause) {
    const { policy } = await this.context(manager, clock);
    await this.disarmAll(clock, policy);
    const now = new Date();
    await manager.update(
      SlaClock,
      { id: clock.id },
      { state: 'breached', breachedAt: now, stoppedAt: at, runningSince: null, epoch: clock.epoch + 1 },
    );
    await this.outbox.append(
      manager,
      buildEvent(
        'sla.breached',
        {
          ticketId: clock.ticketId,
          clockId: clock.id,
          metric: clock.metric,
          policyId: clock.policyId,
          policyVersion: clock.policyVersion,
          dueAt: clock.dueAt.toISOString(),
          breachedAt: now.toISOString(),
        },
        eventMeta(SLA_SOURCE, clock.ticketId, clock.tenant, cause),
      ),
    );
  }

  /** The reply came after the breach: it stays a breach, records when it came, and stops escalating. */
  private async answerLate(manager: EntityManager, clock: SlaClock, at: Date) {
    await manager.update(SlaClock, { id: clock.id }, { metAt: at, stoppedAt: clock.stoppedAt ?? at });
    await this.timers.disarm([{ kind: 'escalation', clockId: clock.id, step: clock.escalatedSteps }]);
  }

  /** A breached clock whose ticket is solved: the escalation chain ends here. */
  private async stop(manager: EntityManager, clock: SlaClock, at: Date) {
    // A late resolution is still when it was resolved; a response clock keeps waiting for its reply time.
    const metAt = clock.metric === 'resolution' ? (clock.metAt ?? at) : clock.metAt;
    await manager.update(SlaClock, { id: clock.id }, { stoppedAt: at, metAt });
    await this.timers.disarm([{ kind: 'escalation', clockId: clock.id, step: clock.escalatedSteps }]);
  }

  private async announceStart(manager: EntityManager, clock: SlaClock, cause: ChangeCause) {
    await this.outbox.append(
      manager,
      buildEvent(
        'sla.started',
        {
          ticketId: clock.ticketId,
          clockId: clock.id,
          metric: clock.metric,
          policyId: clock.policyId,
          policyVersion: clock.policyVersion,
          target: clock.target,
          startedAt: clock.startedAt.toISOString(),
          dueAt: clock.dueAt.toISOString(),
        },
        eventMeta(SLA_SOURCE, clock.ticketId, clock.tenant, cause),
      ),
    );
  }

  private async emit(
    manager: EntityManager,
    clock: SlaClock,
    cause: ChangeCause,
    event:
      | { type: 'sla.paused'; data: { status: TicketStatus; elapsedMs: number; pausedAt: string } }
      | { type: 'sla.resumed'; data: { pausedMs: number; dueAt: string; resumedAt: string } }
      | { type: 'sla.met'; data: { dueAt: string; metAt: string; revokesBreach?: boolean } },
  ) {
    const meta = eventMeta(SLA_SOURCE, clock.ticketId, clock.tenant, cause);
    const base = { ticketId: clock.ticketId, clockId: clock.id, metric: clock.metric };
    await this.outbox.append(manager, buildEvent(event.type, { ...base, ...event.data }, meta));
  }

  private async armAll(clock: SlaClock, policy: SlaPolicy, calendar: Calendar | null) {
    for (const timer of timersOf(clock, policy, calendar)) await this.timers.arm(timer.job, timer.at);
  }

  /** The running epoch's breach and warnings: after this change they are stale. */
  private async disarmAll(clock: SlaClock, policy: SlaPolicy) {
    const jobs: SlaJobData[] = [
      { kind: 'breach', clockId: clock.id, epoch: clock.epoch },
      ...policy.warnAt.map((fraction) => ({
        kind: 'warning' as const,
        clockId: clock.id,
        epoch: clock.epoch,
        fraction,
      })),
    ];
    await this.timers.disarm(jobs);
  }

  /** The ticket's priority as SLA last heard it; `normal` for a ticket it has no view of. */
  private async priorityOf(manager: EntityManager, tenant: string, ticketId: string) {
    const ticket = await manager.findOneBy(SlaTicket, { tenant, ticketId });
    return ticket?.priority ?? 'normal';
  }

  private lockClocks(manager: EntityManager, tenant: string, ticketId: string): Promise<SlaClock[]> {
    return manager.find(SlaClock, {
      where: { tenant, ticketId },
      order: { metric: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }
}
