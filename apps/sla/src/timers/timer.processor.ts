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
import { buildEvent, parseIsoDuration } from '@app/contracts';
import { JobWorker } from '@app/database';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { warningAtOf } from '../clocks/clock-schedule';
import { ClockService } from '../clocks/clock.service';
import { SlaClock } from '../clocks/sla-clock.entity';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG, SLA_SOURCE } from '../sla.tokens';
import { type SlaJobData, SlaQueue } from './sla-jobs';
import { SlaTimers } from './sla-timers';

export type TimerOutcome = 'fired' | 'stale' | 'not_due';

/** Redis and Node clocks differ by milliseconds; a timer that early waits instead of acting early. */
const MAX_EARLY_WAIT_MS = 10_000;

/**
 * Fires warnings, breaches and escalation steps. Postgres decides, not the job: a clock that was
 * met, paused, rescheduled (another epoch), already warned at that fraction or already escalated
 * that far makes the job a no-op (R4); a job that fires before its time waits instead of firing early.
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
    private readonly outbox: OutboxWriter,
    private readonly clocks: ClockService,
    private readonly timers: SlaTimers,
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
    const { policy, calendar } = await this.clocks.context(manager, clock);
    const meta = eventMeta(SLA_SOURCE, clock.ticketId, clock.tenant, { kind: 'job' });
    const base = { ticketId: clock.ticketId, clockId: clock.id, metric: clock.metric };

    if (job.kind === 'warning') {
      if (clock.state !== 'running' || clock.epoch !== job.epoch || clock.warned.includes(job.fraction))
        return 'stale';
      const at = warningAtOf(clock, calendar, job.fraction);
      if (at > now) return { waitMs: at.getTime() - now.getTime() };
      await manager.update(SlaClock, { id: clock.id }, { warned: [...clock.warned, job.fraction] });
      await this.outbox.append(
        manager,
        buildEvent(
          'sla.warning',
          { ...base, fraction: job.fraction, dueAt: clock.dueAt.toISOString(), warnedAt: now.toISOString() },
          meta,
        ),
      );
      this.record('warning', clock.metric, at, now);
      return 'fired';
    }

    if (job.kind === 'breach') {
      if (clock.state !== 'running' || clock.epoch !== job.epoch) return 'stale';
      if (clock.dueAt > now) return { waitMs: clock.dueAt.getTime() - now.getTime() };
      clock.state = 'breached';
      clock.breachedAt = now;
      await manager.update(SlaClock, { id: clock.id }, { state: 'breached', breachedAt: now });
      await this.outbox.append(
        manager,
        buildEvent(
          'sla.breached',
          {
            ...base,
            policyId: clock.policyId,
            policyVersion: clock.policyVersion,
            dueAt: clock.dueAt.toISOString(),
            breachedAt: now.toISOString(),
          },
          meta,
        ),
      );
      this.record('breach', clock.metric, clock.dueAt, now);
      this.logger.log({
        msg: 'SLA breached',
        ticketId: clock.ticketId,
        clockId: clock.id,
        metric: clock.metric,
      });
      await this.armNext(manager, clock);
      return 'fired';
    }

    const step = policy.escalation[job.step];
    if (
      clock.state !== 'breached' ||
      clock.stoppedAt ||
      !clock.breachedAt ||
      !step ||
      clock.escalatedSteps !== job.step
    ) {
      return 'stale';
    }
    const at = new Date(clock.breachedAt.getTime() + parseIsoDuration(step.after));
    if (at > now) return { waitMs: at.getTime() - now.getTime() };
    clock.escalatedSteps = job.step + 1;
    await manager.update(SlaClock, { id: clock.id }, { escalatedSteps: clock.escalatedSteps });
    await this.outbox.append(
      manager,
      buildEvent(
        'sla.escalated',
        {
          ...base,
          step: job.step,
          after: step.after,
          notify: step.notify,
          assigneeId: clock.assigneeId,
          breachedAt: clock.breachedAt.toISOString(),
          escalatedAt: now.toISOString(),
        },
        meta,
      ),
    );
    this.record('escalation', clock.metric, at, now);
    await this.armNext(manager, clock);
    return 'fired';
  }

  /** After a breach or a step, the next escalation step (if the chain has one) gets its timer. */
  private async armNext(manager: EntityManager, clock: SlaClock): Promise<void> {
    for (const timer of await this.clocks.timersFor(manager, clock))
      await this.timers.arm(timer.job, timer.at);
  }

  private record(kind: SlaJobData['kind'], metric: string, due: Date, now: Date): void {
    this.lateness.observe({ kind }, Math.max(0, now.getTime() - due.getTime()) / 1000);
    this.fired.inc({ kind, metric });
  }
}
