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
    const clocks = await manager.find(SlaClock, {
      where: { id: In([...new Set(due.map((timer) => timer.data.clockId))]) },
      // Id order, as ClockService locks a ticket's clocks: no lock cycle between the two.
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    const byId = new Map(clocks.map((clock) => [clock.id, clock]));
    const contextOf = this.clocks.contexts(manager);
    const outcomes: TimerOutcome[] = [];
    const staged: StagedTransition[] = [];
    for (const { data: job } of due) {
      const clock = byId.get(job.clockId);
      if (!clock) {
        outcomes.push('stale');
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

  private record(kind: SlaJobData['kind'], metric: string, due: Date, now: Date): void {
    this.lateness.observe({ kind }, Math.max(0, now.getTime() - due.getTime()) / 1000);
    this.fired.inc({ kind, metric });
  }
}
