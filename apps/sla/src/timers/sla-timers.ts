import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Queue, type Job } from 'bullmq';
import { type Redis } from 'ioredis';
import { assertSafeRedis, createRedisConnection } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { SLA_CONFIG } from '../sla.tokens';
import { type SlaConfig } from '../config/sla.config';
import { breachJobId, type SlaJob, SlaJobName, SlaQueue } from './sla-jobs';

/**
 * Arms and disarms SLA timers in BullMQ. Every option is set here, in one place, per job type.
 * Redis is an accelerator: a timer lost with Redis is re-armed from Postgres by the reconciler.
 */
@Injectable()
export class SlaTimers implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SlaTimers.name);
  readonly connection: Redis;
  readonly queue: Queue;

  constructor(
    @Inject(SLA_CONFIG) private readonly config: SlaConfig,
    private readonly health: HealthService,
    metrics: MetricsService,
  ) {
    this.connection = createRedisConnection(config.redis.url);
    this.queue = new Queue(SlaQueue.Timers, { connection: this.connection, prefix: config.redis.keyPrefix });
    metrics.gauge('sla_queue_depth', 'SLA timer jobs by state', ['state'], async (gauge) => {
      const counts = await this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
      for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
    });
  }

  async onModuleInit(): Promise<void> {
    // R11: refuse to run on a Redis that may evict armed timers.
    await assertSafeRedis(this.connection, { requireAof: this.config.redis.requireAof });
    this.health.register('redis', async () => {
      await this.connection.ping();
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }

  /**
   * BullMQ silently ignores an add whose id exists, even a finished job's; a finished job with this
   * id is removed first so the timer really is armed again. A pending one is left as it is.
   */
  async armBreach(clockId: string, epoch: number, dueAt: Date): Promise<void> {
    const jobId = breachJobId(clockId, epoch);
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return;
      await existing.remove();
    }
    await this.enqueue({ name: SlaJobName.Breach, data: { clockId, epoch } }, jobId, dueAt);
  }

  /** Best effort: a job that cannot be removed (running, or Redis away) finds its clock stale anyway. */
  async disarmBreach(clockId: string, epoch: number): Promise<void> {
    try {
      await this.queue.remove(breachJobId(clockId, epoch));
    } catch (error) {
      this.logger.warn({ msg: 'Could not remove a stale SLA timer; it will no-op when it fires', clockId, error: (error as Error).name });
    }
  }

  async isArmed(clockId: string, epoch: number): Promise<boolean> {
    const job: Job | undefined = await this.queue.getJob(breachJobId(clockId, epoch));
    if (!job) return false;
    const state = await job.getState();
    return state === 'delayed' || state === 'waiting' || state === 'active' || state === 'prioritized' || state === 'waiting-children';
  }

  private async enqueue(job: SlaJob, jobId: string, at: Date): Promise<void> {
    switch (job.name) {
      case SlaJobName.Breach:
        await this.queue.add(job.name, job.data, {
          jobId,
          delay: Math.max(0, at.getTime() - Date.now()),
          attempts: 10,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 7 * 86_400 },
        });
        return;
    }
  }
}
