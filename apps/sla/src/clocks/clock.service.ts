import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import {
  buildEvent,
  type EventEnvelope,
  type MatchableTicket,
  type Priority,
  type SlaMetric,
  ticketMatches,
} from '@app/contracts';
import { type ChangeCause, eventMeta, OutboxWriter } from '@app/messaging';
import { DeadlineCalculator } from '../calendars/deadline';
import { livePolicies, SlaPolicy } from '../policies/sla-policy.entity';
import { SLA_SOURCE } from '../sla.tokens';
import { SlaTimers } from './sla-timers';
import { type ScheduledTimer } from './clock-schedule';
import {
  type ClockContext,
  type ClockTransition,
  isActive,
  newWait,
  onAgentReply,
  onStatusChange,
  recompute,
  recomputedTarget,
  restart,
  type SlaEventDraft,
  start,
} from './clock-transitions';
import { SlaClock } from './sla-clock.entity';
import { SlaTicket } from './sla-ticket.entity';

const timersToArm = (timers: ScheduledTimer[]) => timers.map((timer) => ({ data: timer.job, at: timer.at }));

export interface StagedTransition {
  clock: SlaClock;
  transition: ClockTransition;
}

/** The clocks a ticket starts with; the next-response clock starts with each waiting customer message. */
const STARTING_METRICS: SlaMetric[] = ['first_response', 'resolution'];

/**
 * The persistence of every SLA clock: what a ticket's event means for its clocks is decided by the
 * pure transitions (clock-transitions.ts); this service loads what they need, locks the clocks,
 * and writes what they return, with its outbox events and timers, in the caller's transaction.
 * Postgres holds the truth (elapsed business time, running since, epoch); Redis only speeds the
 * timers up.
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
    const { tenant, data } = event;
    const policy = await this.currentPolicy(manager, tenant, data);
    if (!policy) {
      this.logger.log({ msg: 'No SLA policy matches; no clock started', ticketId: data.ticketId });
      return;
    }
    const startedAt = new Date(data.createdAt);
    const priority = await this.priorityOf(manager, tenant, data.ticketId);
    for (const metric of STARTING_METRICS) {
      await this.start(manager, tenant, data.ticketId, metric, policy, priority, startedAt, {
        kind: 'event',
        event,
      });
    }
  }

  /** Public agent replies meet response clocks; a waiting customer message starts the next-response clock. */
  async messageAdded(manager: EntityManager, event: EventEnvelope<'ticket.message.added'>): Promise<void> {
    const { tenant, data } = event;
    const at = new Date(data.createdAt);
    const cause: ChangeCause = { kind: 'event', event };
    const clocks = await this.lockClocks(manager, tenant, data.ticketId);
    if (data.author === 'agent' && !data.internal) {
      const contextOf = this.contexts(manager);
      for (const clock of clocks) {
        const transition = onAgentReply(clock, await contextOf(clock), at, new Date());
        if (transition) await this.apply(manager, clock, transition, cause);
      }
      return;
    }
    if (data.author !== 'customer') return;
    const wait = newWait(clocks);
    if (!wait) return;
    const policy = await manager.findOneByOrFail(SlaPolicy, {
      id: wait.policyOf.policyId,
      version: wait.policyOf.policyVersion,
    });
    const priority = await this.priorityOf(manager, tenant, data.ticketId);
    if (!wait.next) {
      await this.start(manager, tenant, data.ticketId, 'next_response', policy, priority, at, cause);
      return;
    }
    const calendar = await this.deadlines.calendarOf(manager, tenant, wait.next.calendarId);
    const transition = restart(wait.next, { policy, calendar }, at, priority);
    if (transition) await this.apply(manager, wait.next, transition, cause);
  }

  /** Each of the ticket's clocks reacts to the status change on its own terms. */
  async statusChanged(manager: EntityManager, event: EventEnvelope<'ticket.status.changed'>): Promise<void> {
    const { tenant, data } = event;
    const cause: ChangeCause = { kind: 'event', event };
    const change = {
      from: data.from,
      to: data.to,
      at: new Date(data.changedAt),
      priority: await this.priorityOf(manager, tenant, data.ticketId),
    };
    const contextOf = this.contexts(manager);
    for (const clock of await this.lockClocks(manager, tenant, data.ticketId)) {
      const transition = onStatusChange(clock, await contextOf(clock), change, new Date());
      if (transition) await this.apply(manager, clock, transition, cause);
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
    const matched = await this.currentPolicy(manager, tenant, ticket);
    if (!matched || (policyId && matched.id !== policyId)) return 0;
    const now = new Date();
    let moved = 0;
    for (const clock of await this.lockClocks(manager, tenant, ticketId)) {
      if (!isActive(clock)) continue;
      // A ticket change keeps the version the clock runs under when the policy stays the same:
      // only an admin applies a new version to open tickets. Its targets may still differ by priority.
      const policy =
        reason === 'ticket_changed' && clock.policyId === matched.id
          ? await manager.findOneByOrFail(SlaPolicy, { id: clock.policyId, version: clock.policyVersion })
          : matched;
      // Most ticket changes leave the terms as they are: checked before reading the calendars.
      if (!recomputedTarget(clock, policy, ticket.priority)) continue;
      const current = await this.context(manager, clock);
      const calendar = await this.deadlines.calendarOf(manager, tenant, policy.calendarId);
      const transition = recompute(
        clock,
        current,
        { policy, calendar },
        { reason, priority: ticket.priority },
        now,
      );
      if (!transition) continue;
      await this.apply(manager, clock, transition, cause);
      moved += 1;
    }
    return moved;
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

  /** Writes one transition of `clock` in the caller's transaction; see `write`. */
  async apply(
    manager: EntityManager,
    clock: SlaClock,
    transition: ClockTransition,
    cause: ChangeCause,
  ): Promise<void> {
    await this.write(manager, [this.stage(clock, transition)], cause);
  }

  /**
   * Applies a transition to the clock in memory, so the next decision about the same clock sees it;
   * nothing is written until `write`.
   */
  stage(clock: SlaClock, transition: ClockTransition): StagedTransition {
    Object.assign(clock, transition.changes);
    return { clock, transition };
  }

  /**
   * Writes staged transitions in the caller's transaction, in one statement of each kind however
   * many there are (the timer drain fires hundreds per transaction, and every statement is a round
   * trip): the stale timers go, the clock rows change, the events enter the outbox, the timers the
   * clocks need now are armed (their wake-ups in Redis follow the commit).
   */
  async write(manager: EntityManager, staged: StagedTransition[], cause: ChangeCause): Promise<void> {
    await this.timers.disarm(
      manager,
      staged.flatMap(({ transition }) => transition.disarm),
    );
    await this.writeBack(manager, staged);
    await this.outbox.append(
      manager,
      ...staged.flatMap(({ clock, transition }) => this.envelopes(clock, transition.events, cause)),
    );
    await this.timers.arm(manager, timersToArm(staged.flatMap(({ transition }) => transition.arm)));
  }

  /** The changed clocks as they now are in memory, every column any of them changed, in one UPDATE. */
  private async writeBack(manager: EntityManager, staged: StagedTransition[]): Promise<void> {
    const changed = staged.filter(({ transition }) => Object.keys(transition.changes).length > 0);
    if (changed.length === 0) return;
    const metadata = manager.connection.getMetadata(SlaClock);
    const columns = [...new Set(changed.flatMap(({ transition }) => Object.keys(transition.changes)))].map(
      (property) => {
        const column = metadata.findColumnWithPropertyName(property);
        if (!column || typeof column.type !== 'string')
          throw new Error(`No typed sla_clocks column for ${property}`);
        return { name: column.databaseName, type: `${column.type}${column.isArray ? '[]' : ''}`, column };
      },
    );
    const clocks = new Map(changed.map(({ clock }) => [clock.id, clock]));
    const rows = [...clocks.values()].map((clock) => {
      const row: Record<string, unknown> = { id: clock.id };
      for (const { name, column } of columns) row[name] = column.getEntityValue(clock) as unknown;
      return row;
    });
    await manager.query(
      `UPDATE sla_clocks AS c SET ${columns.map(({ name }) => `${name} = v.${name}`).join(', ')}
       FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, ${columns.map(({ name, type }) => `${name} ${type}`).join(', ')})
       WHERE c.id = v.id`,
      [JSON.stringify(rows)],
    );
  }

  /** The first policy, in match order, among the tenant's live ones that matches the ticket as it is now. */
  private async currentPolicy(
    manager: EntityManager,
    tenant: string,
    ticket: MatchableTicket,
  ): Promise<SlaPolicy | undefined> {
    const policies = await livePolicies(manager, tenant);
    return policies.find((candidate) => ticketMatches(candidate.match, ticket));
  }

  private async start(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    metric: SlaMetric,
    policy: SlaPolicy,
    priority: Priority,
    at: Date,
    cause: ChangeCause,
  ): Promise<void> {
    const calendar = await this.deadlines.calendarOf(manager, tenant, policy.calendarId);
    const started = start({ policy, calendar }, at, {
      clockId: randomUUID(),
      tenant,
      ticketId,
      metric,
      priority,
    });
    if (!started) return;
    // A redelivered event finds the clock already there (one per ticket and metric): nothing to announce.
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(SlaClock)
      .values(started.clock)
      .orIgnore()
      .returning('id')
      .execute();
    if ((inserted.raw as Array<{ id: string }>).length === 0) return;
    await this.outbox.append(manager, ...this.envelopes(started.clock, started.events, cause));
    // The clock was inserted just now: none of its timers can exist.
    await this.timers.armNew(manager, timersToArm(started.arm));
  }

  /** Every SLA event is enveloped here, as caused by `cause`, keyed by the ticket. */
  private envelopes(
    clock: Pick<SlaClock, 'ticketId' | 'tenant'>,
    events: SlaEventDraft[],
    cause: ChangeCause,
  ) {
    if (events.length === 0) return [];
    const meta = eventMeta(SLA_SOURCE, clock.ticketId, clock.tenant, cause);
    return events.map((event) => buildEvent(event.type, event.data, meta));
  }

  /** Reads each policy version and calendar once for many clocks, most of which share them. */
  contexts(manager: EntityManager): (clock: SlaClock) => Promise<ClockContext> {
    const loaded = new Map<string, Promise<ClockContext>>();
    return (clock) => {
      const key = `${clock.tenant}/${clock.policyId}/${clock.policyVersion}/${clock.calendarId ?? ''}`;
      let context = loaded.get(key);
      if (!context) {
        context = this.context(manager, clock);
        loaded.set(key, context);
      }
      return context;
    };
  }

  /** The ticket's priority as SLA last heard it; `normal` for a ticket it has no view of. */
  private async priorityOf(manager: EntityManager, tenant: string, ticketId: string) {
    const ticket = await manager.findOneBy(SlaTicket, { tenant, ticketId });
    return ticket?.priority ?? 'normal';
  }

  /**
   * Locked in id order, as the timer drain locks the clocks of its batch, so the two never wait on
   * each other in a cycle; handed out in metric order.
   */
  private async lockClocks(manager: EntityManager, tenant: string, ticketId: string): Promise<SlaClock[]> {
    const clocks = await manager.find(SlaClock, {
      where: { tenant, ticketId },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    return clocks.sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
  }
}
