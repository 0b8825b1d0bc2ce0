import {
  type OnApplicationBootstrap,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job, Worker } from 'bullmq';
import { type Redis } from 'ioredis';
import { type Counter, type Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { createRedisConnection } from '@app/database';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { SlaClock } from '../clocks/sla-clock.entity';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG, SLA_SOURCE } from '../sla.tokens';
import { type BreachJob, SlaJobName, SlaQueue } from './sla-jobs';

export type BreachOutcome = 'breached' | 'stale' | 'not_due';

/** Redis and Node clocks differ by milliseconds; a timer that early waits instead of breaching early. */
const MAX_EARLY_WAIT_MS = 10_000;

/**
 * Fires breaches. Postgres decides, not the job: a clock that was met, paused, rescheduled (other
 * epoch) or already breached makes the job a no-op (R4), and a job that fires before the clock's
 * due time (it moved later) re-arms instead of breaching early.
 */
@Injectable()
export class BreachProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BreachProcessor.name);
  private worker: Worker | undefined;
  private connection: Redis | undefined;
  private readonly lateness: Histogram;
  private readonly breaches: Counter;

  constructor(
    @Inject(SLA_CONFIG) private readonly config: SlaConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    metrics: MetricsService,
  ) {
    this.lateness = metrics.histogram(
      'sla_timer_lateness_seconds',
      'How late a breach fired after its due time',
      ['metric'],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60],
    );
    this.breaches = metrics.counter('sla_breaches_total', 'SLA breaches', ['metric']);
  }

  /** After every module's init, so a Redis that failed the safety check never gets a worker. */
  onApplicationBootstrap(): void {
    this.connection = createRedisConnection(this.config.redis.url);
    this.worker = new Worker(SlaQueue.Timers, (job: Job) => this.process(job as Job<BreachJob['data']>), {
      connection: this.connection,
      prefix: this.config.redis.keyPrefix,
      concurrency: 8,
      // A stalled job (worker died mid-run) is retried rather than failed after one stall.
      maxStalledCount: 5,
    });
    this.worker.on('failed', (job, error) => {
      const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      this.logger[final ? 'error' : 'warn']({
        msg: final ? 'SLA timer failed for good; the reconciler will retry it' : 'SLA timer failed; retrying',
        jobId: job?.id,
        error: error.message,
      });
    });
    this.worker.on('error', (error) => this.logger.error({ msg: 'SLA worker error', error: error.message }));
  }

  async onModuleDestroy(): Promise<void> {
    // close() waits for the job in progress: its transaction finishes before the pool closes (R8).
    await this.worker?.close();
    this.connection?.disconnect();
  }

  async process(job: Job<BreachJob['data']>): Promise<BreachOutcome> {
    if (job.name !== (SlaJobName.Breach as string)) throw new Error(`Unknown SLA job ${job.name}`);
    return this.fire(job.data.clockId, job.data.epoch);
  }

  /** Also called by the reconciler for overdue clocks whose timer Redis lost. */
  async fire(clockId: string, epoch: number): Promise<BreachOutcome> {
    for (;;) {
      const outcome = await this.tryFire(clockId, epoch);
      if (typeof outcome === 'string') return outcome;
      // Early by `outcome.waitMs`: wait outside any transaction, then decide again.
      if (outcome.waitMs > MAX_EARLY_WAIT_MS) return 'not_due';
      await new Promise((resolve) => setTimeout(resolve, outcome.waitMs));
    }
  }

  private async tryFire(clockId: string, epoch: number): Promise<BreachOutcome | { waitMs: number }> {
    return this.dataSource.transaction(async (manager) => {
      const clock = await manager.findOne(SlaClock, {
        where: { id: clockId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!clock || clock.state !== 'running' || clock.epoch !== epoch) return 'stale' as const;
      const now = new Date();
      if (clock.dueAt.getTime() > now.getTime()) return { waitMs: clock.dueAt.getTime() - now.getTime() };
      await manager.update(SlaClock, { id: clock.id }, { state: 'breached', breachedAt: now });
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
          eventMeta(SLA_SOURCE, clock.ticketId, clock.tenant, { kind: 'job' }),
        ),
      );
      this.lateness.observe({ metric: clock.metric }, (now.getTime() - clock.dueAt.getTime()) / 1000);
      this.breaches.inc({ metric: clock.metric });
      this.logger.log({
        msg: 'SLA breached',
        ticketId: clock.ticketId,
        clockId: clock.id,
        metric: clock.metric,
      });
      return 'breached' as const;
    });
  }
}
