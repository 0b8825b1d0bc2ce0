import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { SLA_CONFIG } from '../sla.tokens';
import { type SlaConfig } from '../config/sla.config';
import { JOB_NAME, type SlaJobData, slaJobId, SlaQueue } from './sla-jobs';

/**
 * Arms and disarms SLA timers in BullMQ. Every option is set here, in one place. Redis is an
 * accelerator: a timer lost with Redis is re-armed from Postgres by the reconciler.
 */
@Injectable()
export class SlaTimers implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SlaTimers.name);
  readonly jobs: JobQueue<SlaJobData>;

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

  /** Arms one timer for `at`; arming one that is already armed changes nothing. */
  async arm(job: SlaJobData, at: Date): Promise<void> {
    await this.jobs.addUnlessLive(JOB_NAME[job.kind], job, {
      jobId: slaJobId(job),
      delay: Math.max(0, at.getTime() - Date.now()),
      attempts: 10,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  /** Best effort: a job that cannot be removed finds its clock moved on, and does nothing. */
  async disarm(jobs: SlaJobData[]): Promise<void> {
    for (const job of jobs) {
      try {
        await this.jobs.queue.remove(slaJobId(job));
      } catch (error) {
        this.logger.warn({
          msg: 'Could not remove a stale SLA timer; it will no-op when it fires',
          clockId: job.clockId,
          error: (error as Error).message,
        });
      }
    }
  }

  areArmed(jobs: SlaJobData[]): Promise<boolean[]> {
    return this.jobs.liveAmong(jobs.map(slaJobId));
  }
}
