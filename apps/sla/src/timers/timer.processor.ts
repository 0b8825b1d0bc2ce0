import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Counter, type Histogram } from 'prom-client';
import { type EntityManager, In } from 'typeorm';
import { MetricsService } from '@app/observability';
import { type DueTimer, type TimerOutcome } from '@app/timers';
import { fireTimer } from '../clocks/clock-transitions';
import { ClockService, type StagedTransition } from '../clocks/clock.service';
import { SlaClock } from '../clocks/sla-clock.entity';
import { timersOf } from '../clocks/clock-schedule';
import { type SlaJobData, type SlaTimerData, SlaTimers } from '../clocks/sla-timers';

/** How long a timer whose clock another transaction holds waits before it fires again. */
const HELD_CLOCK_WAIT_MS = 50;

/**
 * Fires warnings, breaches and escalation steps, a batch of due timers at a time. Postgres decides,
 * not the timer: the batch's clocks are read under row locks and `fireTimer` finds each timer
 * stale (R4), early (it waits for the clock's own time) or due; a due one is written through
 * ClockService like every other clock change, in the drain's transaction.
 */
@Injectable()
export class TimerProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(TimerProcessor.name);
  private readonly lateness: Histogram;
  private readonly fired: Counter;

  constructor(
    private readonly timers: SlaTimers,
    private readonly clocks: ClockService,
    metrics: MetricsService,
  ) {
    this.lateness = metrics.histogram(
      'sla_timer_lateness_seconds',
      'How late a warning, breach or escalation fired after its time',
      ['kind'],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60],
    );
    this.fired = metrics.counter('sla_timers_fired_total', 'SLA warnings, breaches and escalations', [
      'kind',
      'metric',
    ]);
  }

  /** After every module's init, so a Redis that failed the safety check never fires anything. */
  async onApplicationBootstrap(): Promise<void> {
    await this.timers.start((manager, due, now) => this.fire(manager, due, now));
  }

  async fire(manager: EntityManager, due: Array<DueTimer<SlaTimerData>>, now: Date): Promise<TimerOutcome[]> {
    const ids = [...new Set(due.map((timer) => timer.data.clockId))];
    // A consumer applying a batch of events locks its tickets' clocks in the order the events
    // came, while this drain holds the clocks it has locked already: waiting here for one the
    // consumer holds could close a cycle, which Postgres breaks only after a second. So the drain
    // waits for nothing: a clock held right now is skipped and its timers fire a moment later.
    const clocks = await manager.find(SlaClock, {
      where: { id: In(ids) },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' },
    });
    const byId = new Map(clocks.map((clock) => [clock.id, clock]));
    const held = await this.heldElsewhere(
      manager,
      ids.filter((id) => !byId.has(id)),
    );
    const contextOf = this.clocks.contexts(manager);
    const outcomes: TimerOutcome[] = [];
    const staged: StagedTransition[] = [];
    for (const { data: job } of due) {
      const clock = byId.get(job.clockId);
      if (!clock) {
        outcomes.push(
          held.has(job.clockId) ? { notBefore: new Date(Date.now() + HELD_CLOCK_WAIT_MS) } : 'stale',
        );
        continue;
      }
      const context = await contextOf(clock);
      if (job.kind === 'rearm') {
        const timers = timersOf(clock, context.policy, context.calendar);
        await this.timers.arm(
          manager,
          timers.map((timer) => ({ data: timer.job, at: timer.at })),
        );
        outcomes.push('fired');
        continue;
      }
      const firing = fireTimer(clock, context, job, now);
      if (firing.outcome !== 'fired') {
        outcomes.push(firing.outcome === 'stale' ? 'stale' : { notBefore: firing.at });
        continue;
      }
      staged.push(this.clocks.stage(clock, firing.transition));
      this.record(job.kind, clock.metric, firing.at, now);
      if (job.kind === 'breach') {
        this.logger.log({
          msg: 'SLA breached',
          ticketId: clock.ticketId,
          clockId: clock.id,
          metric: clock.metric,
        });
      }
      outcomes.push('fired');
    }
    await this.clocks.write(manager, staged, { kind: 'job' });
    return outcomes;
  }

  /** Of the clocks a locking read skipped, those that exist: another transaction holds them. */
  private async heldElsewhere(manager: EntityManager, skipped: string[]): Promise<Set<string>> {
    if (skipped.length === 0) return new Set();
    const existing = await manager.find(SlaClock, { select: { id: true }, where: { id: In(skipped) } });
    return new Set(existing.map((clock) => clock.id));
  }

  private record(kind: SlaJobData['kind'], metric: string, due: Date, now: Date): void {
    this.lateness.observe({ kind }, Math.max(0, now.getTime() - due.getTime()) / 1000);
    this.fired.inc({ kind, metric });
  }
}
