import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { type RoutingConfig } from '../config/routing.config';
import { ROUTING_CONFIG } from '../routing.tokens';
import { type OverflowJobData, overflowJobId, RoutingJobName, RoutingQueue } from './overflow-jobs';

/**
 * Arms and disarms overflow timers in BullMQ. Redis only wakes routing up: the deadline lives on
 * the assignment row, and the reconciler re-arms whatever Redis loses.
 */
@Injectable()
export class OverflowTimers implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OverflowTimers.name);
  readonly jobs: JobQueue<OverflowJobData>;

  constructor(
    @Inject(ROUTING_CONFIG) config: RoutingConfig,
    private readonly health: HealthService,
    metrics: MetricsService,
  ) {
    this.jobs = new JobQueue(RoutingQueue.Timers, config.redis);
    this.jobs.reportDepth(metrics, 'routing_timer_queue_depth', 'Overflow timer jobs by state');
  }

  async onModuleInit(): Promise<void> {
    await this.jobs.verify(this.health);
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
  }

  async arm(data: OverflowJobData, dueAt: Date): Promise<void> {
    await this.jobs.addUnlessLive(RoutingJobName.Overflow, data, {
      jobId: overflowJobId(data.ticketId, data.epoch),
      delay: Math.max(0, dueAt.getTime() - Date.now()),
      attempts: 10,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  /** Best effort: a job that cannot be removed finds its assignment answered or moved on, and does nothing. */
  async disarm(ticketId: string, epoch: number): Promise<void> {
    try {
      await this.jobs.queue.remove(overflowJobId(ticketId, epoch));
    } catch (error) {
      this.logger.warn({
        msg: 'Could not remove a stale overflow timer; it will do nothing when it fires',
        ticketId,
        error: (error as Error).message,
      });
    }
  }

  isArmed(ticketId: string, epoch: number): Promise<boolean> {
    return this.jobs.isLive(overflowJobId(ticketId, epoch));
  }
}
