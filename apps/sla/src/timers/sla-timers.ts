import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { SLA_CONFIG } from '../sla.tokens';
import { type SlaConfig } from '../config/sla.config';
import { type BreachJob, breachJobId, SlaJobName, SlaQueue } from './sla-jobs';

/**
 * Arms and disarms SLA timers in BullMQ. Every option is set here, in one place, per job type.
 * Redis is an accelerator: a timer lost with Redis is re-armed from Postgres by the reconciler.
 */
@Injectable()
export class SlaTimers implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SlaTimers.name);
  readonly jobs: JobQueue<BreachJob['data']>;

  constructor(
    @Inject(SLA_CONFIG) config: SlaConfig,
    private readonly health: HealthService,
    metrics: MetricsService,
  ) {
    this.jobs = new JobQueue(SlaQueue.Timers, config.redis);
    this.jobs.reportDepth(metrics, 'sla_queue_depth', 'SLA timer jobs by state');
  }

  async onModuleInit(): Promise<void> {
    // R11: refuse to run on a Redis that may evict armed timers.
    await this.jobs.verify(this.health);
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
  }

  /** Arms the breach timer of one clock epoch; arming an epoch that is already armed changes nothing. */
  async armBreach(clockId: string, epoch: number, dueAt: Date): Promise<void> {
    await this.jobs.addUnlessLive(
      SlaJobName.Breach,
      { clockId, epoch },
      {
        jobId: breachJobId(clockId, epoch),
        delay: Math.max(0, dueAt.getTime() - Date.now()),
        attempts: 10,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  /** Best effort: a job that cannot be removed (running, or Redis away) finds its clock stale anyway. */
  async disarmBreach(clockId: string, epoch: number): Promise<void> {
    try {
      await this.jobs.queue.remove(breachJobId(clockId, epoch));
    } catch (error) {
      this.logger.warn({
        msg: 'Could not remove a stale SLA timer; it will no-op when it fires',
        clockId,
        error: (error as Error).message,
      });
    }
  }

  isArmed(clockId: string, epoch: number): Promise<boolean> {
    return this.jobs.isLive(breachJobId(clockId, epoch));
  }
}
