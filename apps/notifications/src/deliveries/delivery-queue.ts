import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryChannel } from '../channels/channel';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { deliveryJobId, DeliveryJobName, DeliveryQueueName, type SendJobData } from './delivery-jobs';

/**
 * Hands ledger rows to BullMQ for sending. Redis is only the work list: a job it loses is
 * enqueued again from the pending rows in Postgres by the reconciler.
 */
@Injectable()
export class DeliveryQueue implements OnModuleInit, OnModuleDestroy {
  readonly jobs: JobQueue<SendJobData>;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly health: HealthService,
    metrics: MetricsService,
  ) {
    this.jobs = new JobQueue(DeliveryQueueName.Outbound, config.redis);
    this.jobs.reportDepth(metrics, 'notification_queue_depth', 'Delivery jobs by state');
  }

  async onModuleInit(): Promise<void> {
    // R11: an evicting Redis could drop queued deliveries silently.
    await this.jobs.verify(this.health);
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
  }

  /**
   * One job per delivery: queuing a delivery that is already queued changes nothing. Webhooks and
   * Slack retry on their own schedule, exponential with jitter so a receiver coming back up is not
   * hit by every sender at the same instant.
   */
  async enqueue(deliveryId: string, channel: DeliveryChannel, holdUntil: Date | null = null): Promise<void> {
    const email = channel === 'email';
    await this.jobs.addUnlessLive(
      DeliveryJobName.Send,
      { deliveryId },
      {
        jobId: deliveryJobId(deliveryId),
        delay: holdUntil ? Math.max(0, holdUntil.getTime() - Date.now()) : 0,
        attempts: email ? this.config.delivery.sendAttempts : this.config.webhooks.attempts,
        backoff: { type: 'exponential', delay: email ? 500 : this.config.webhooks.backoffMs, jitter: 0.5 },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  isQueued(deliveryId: string): Promise<boolean> {
    return this.jobs.isLive(deliveryJobId(deliveryId));
  }
}
