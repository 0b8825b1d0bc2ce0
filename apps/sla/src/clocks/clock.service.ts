import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type EventEnvelope, buildEvent, type SlaMetric, ticketMatches } from '@app/contracts';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { SlaPolicy, type PolicyTargets } from '../policies/sla-policy.entity';
import { SLA_SOURCE } from '../sla.tokens';
import { SlaTimers } from '../timers/sla-timers';
import { DeadlineCalculator } from '../calendars/deadline';
import { SlaClock } from './sla-clock.entity';

const METRIC_TARGET: Array<[SlaMetric, keyof PolicyTargets]> = [
  ['first_response', 'firstResponse'],
  ['resolution', 'resolution'],
];

@Injectable()
export class ClockService {
  private readonly logger = new Logger(ClockService.name);

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly timers: SlaTimers,
    private readonly deadlines: DeadlineCalculator,
  ) {}

  /**
   * Starts one clock per target of the first matching policy. The breach timer is armed before the
   * transaction commits; if it then rolls back, the timer fires, finds no clock and does nothing.
   */
  async startClocks(manager: EntityManager, event: EventEnvelope<'ticket.created'>): Promise<void> {
    const policies = await manager.find(SlaPolicy, {
      where: { tenant: event.tenant, current: true, active: true },
      order: { position: 'ASC', createdAt: 'ASC' },
    });
    const policy = policies.find((candidate) => ticketMatches(candidate.match, event.data));
    if (!policy) {
      this.logger.log({ msg: 'No SLA policy matches; no clock started', ticketId: event.data.ticketId });
      return;
    }
    const startedAt = new Date(event.data.createdAt);
    const calendar = await this.deadlines.calendarOf(manager, event.tenant, policy.calendarId);
    for (const [metric, key] of METRIC_TARGET) {
      const target = policy.targets[key];
      if (!target) continue;
      const deadline = this.deadlines.compute(calendar, startedAt, target);
      const dueAt = deadline.dueAt;
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
          tenant: event.tenant,
          ticketId: event.data.ticketId,
          metric,
          policyId: policy.id,
          policyVersion: policy.version,
          target,
          startedAt,
          dueAt,
          state: 'running',
          epoch: 0,
          explanation,
        })
        .orIgnore()
        .returning('id')
        .execute();
      const clockId = (inserted.raw as Array<{ id: string }>)[0]?.id;
      if (!clockId) continue;
      await this.outbox.append(
        manager,
        buildEvent(
          'sla.started',
          {
            ticketId: event.data.ticketId,
            clockId,
            metric,
            policyId: policy.id,
            policyVersion: policy.version,
            target,
            startedAt: startedAt.toISOString(),
            dueAt: dueAt.toISOString(),
          },
          eventMeta(SLA_SOURCE, event.data.ticketId, event.tenant, { kind: 'event', event }),
        ),
      );
      await this.timers.armBreach(clockId, 0, dueAt);
    }
  }

  /** The first public agent reply stops the first-response clock, unless it already breached. */
  async firstResponse(manager: EntityManager, event: EventEnvelope<'ticket.message.added'>): Promise<void> {
    const clock = await manager.findOne(SlaClock, {
      where: { tenant: event.tenant, ticketId: event.data.ticketId, metric: 'first_response' },
      lock: { mode: 'pessimistic_write' },
    });
    if (!clock || clock.state === 'met' || clock.state === 'breached') return;
    const metAt = new Date(event.data.createdAt);
    const oldEpoch = clock.epoch;
    await manager.update(SlaClock, { id: clock.id }, { state: 'met', metAt, epoch: oldEpoch + 1 });
    await this.outbox.append(
      manager,
      buildEvent(
        'sla.met',
        {
          ticketId: clock.ticketId,
          clockId: clock.id,
          metric: clock.metric,
          dueAt: clock.dueAt.toISOString(),
          metAt: metAt.toISOString(),
        },
        eventMeta(SLA_SOURCE, clock.ticketId, event.tenant, { kind: 'event', event }),
      ),
    );
    await this.timers.disarmBreach(clock.id, oldEpoch);
  }
}
