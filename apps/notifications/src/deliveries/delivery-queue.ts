import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { type Redis } from 'ioredis';
import { assertSafeRedis, createRedisConnection } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { deliveryJobId, DeliveryJobName, DeliveryQueueName, type SendJobData } from './delivery-jobs';

const LIVE_STATES = new Set(['delayed', 'waiting', 'active', 'prioritized', 'waiting-children']);

/**
 * Hands ledger rows to BullMQ for sending. Redis is only the work list: a job it loses is
 * enqueued again from the pending rows in Postgres by the reconciler.
 */
@Injectable()
export class DeliveryQueue implements OnModuleInit, OnModuleDestroy {
  readonly connection: Redis;
  readonly queue: Queue<SendJobData>;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly health: HealthService,
    metrics: MetricsService,
  ) {
    this.connection = createRedisConnection(config.redis.url);
    this.queue = new Queue<SendJobData>(DeliveryQueueName.Outbound, { connection: this.connection, prefix: config.redis.keyPrefix });
    metrics.gauge('notification_queue_depth', 'Delivery jobs by state', ['state'], async (gauge) => {
      const counts = await this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
      for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
    });
  }

  async onModuleInit(): Promise<void> {
    // R11: an evicting Redis could drop queued deliveries silently.
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
   * BullMQ ignores an add whose id exists, even a finished job's: a finished job for this delivery
   * is removed first so a pending row really gets a new attempt. A live job is left alone.
   */
  async enqueue(deliveryId: string): Promise<void> {
    const jobId = deliveryJobId(deliveryId);
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      if (LIVE_STATES.has(await existing.getState())) return;
      await existing.remove();
    }
    await this.queue.add(
      DeliveryJobName.Send,
      { deliveryId },
      {
        jobId,
        attempts: this.config.delivery.sendAttempts,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  async isQueued(deliveryId: string): Promise<boolean> {
    const job = await this.queue.getJob(deliveryJobId(deliveryId));
    return job !== undefined && LIVE_STATES.has(await job.getState());
  }
}
