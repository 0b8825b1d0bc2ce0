import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Counter, type Histogram } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { JobWorker } from '@app/database';
import { MetricsService } from '@app/observability';
import { fireTimer } from '../clocks/clock-transitions';
import { ClockService } from '../clocks/clock.service';
import { SlaClock } from '../clocks/sla-clock.entity';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG } from '../sla.tokens';
import { type SlaJobData, SlaQueue } from './sla-jobs';

export type TimerOutcome = 'fired' | 'stale' | 'not_due';

/** Redis and Node clocks differ by milliseconds; a timer that early waits instead of acting early. */
const MAX_EARLY_WAIT_MS = 10_000;

/**
 * Fires warnings, breaches and escalation steps. Postgres decides, not the job: the clock is read
 * under a row lock and `fireTimer` finds the job stale (R4), early (it waits instead of firing
 * early) or due; a due one is written through ClockService like every other clock change.
 */
@Injectable()
export class TimerProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TimerProcessor.name);
  private worker: JobWorker<SlaJobData> | undefined;
  private readonly lateness: Histogram;
  private readonly fired: Counter;

  constructor(
    @Inject(SLA_CONFIG) private readonly config: SlaConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
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

  /** After every module's init, so a Redis that failed the safety check never gets a worker. */
  onApplicationBootstrap(): void {
    this.worker = new JobWorker<SlaJobData>(
      SlaQueue.Timers,
      this.config.redis,
      (job) => this.fire(job.data),
      {
        concurrency: 8,
        logger: this.logger,
      },
    );
    this.worker.worker.on('failed', (job, error) => {
      const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      this.logger[final ? 'error' : 'warn']({
        msg: final ? 'SLA timer failed for good; the reconciler will retry it' : 'SLA timer failed; retrying',
        jobId: job?.id,
        error: error.message,
      });
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  /** Also called by the reconciler for timers that are overdue and that Redis lost. */
  async fire(job: SlaJobData): Promise<TimerOutcome> {
    for (;;) {
      const outcome = await this.dataSource.transaction((manager) => this.tryFire(manager, job));
      if (typeof outcome === 'string') return outcome;
      if (outcome.waitMs > MAX_EARLY_WAIT_MS) return 'not_due';
      await new Promise((resolve) => setTimeout(resolve, outcome.waitMs));
    }
  }

  private async tryFire(manager: EntityManager, job: SlaJobData): Promise<TimerOutcome | { waitMs: number }> {
    const clock = await manager.findOne(SlaClock, {
      where: { id: job.clockId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!clock) return 'stale';
    const now = new Date();
    const firing = fireTimer(clock, await this.clocks.context(manager, clock), job, now);
    switch (firing.outcome) {
      case 'stale':
        return 'stale';
      case 'early':
        return { waitMs: firing.at.getTime() - now.getTime() };
      case 'fired':
        break;
    }
    await this.clocks.apply(manager, clock, firing.transition, { kind: 'job' });
    this.record(job.kind, clock.metric, firing.at, now);
    if (job.kind === 'breach') {
      this.logger.log({
        msg: 'SLA breached',
        ticketId: clock.ticketId,
        clockId: clock.id,
        metric: clock.metric,
      });
    }
    return 'fired';
  }

  private record(kind: SlaJobData['kind'], metric: string, due: Date, now: Date): void {
    this.lateness.observe({ kind }, Math.max(0, now.getTime() - due.getTime()) / 1000);
    this.fired.inc({ kind, metric });
  }
}
