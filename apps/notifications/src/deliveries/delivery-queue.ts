import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { JobQueue, type NewJob } from '@app/database';
import { HealthService, MetricsService, type Traceparent } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryChannel } from '../channels/channel';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { deliveryJobId, DeliveryJobName, DeliveryQueueName, type SendJobData } from './delivery-jobs';

export interface QueuedDelivery {
  deliveryId: string;
  channel: DeliveryChannel;
  holdUntil: Date | null;
  /** The trace that decided the delivery; queued after its transaction ended, so carried along. */
  traceparent: Traceparent;
}

/**
 * Hands ledger rows to BullMQ for sending. Redis is only the work list: every open row has its
 * watchdog timer in Postgres (DeliveryWatchdog), which queues the row again when its job is lost.
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
   * Queues a delivery whatever became of an earlier job for it, unless one is still live: for the
   * watchdog, which hands over rows whose hold or backoff ended and rows whose jobs Redis lost.
   */
  async enqueue(delivery: QueuedDelivery): Promise<void> {
    const { name, data, options } = this.job(delivery);
    await this.jobs.addUnlessLive(name, data, options);
  }

  /** Queues deliveries just claimed, which cannot have had a job yet: one round trip for all. */
  async enqueueClaimed(claims: QueuedDelivery[]): Promise<void> {
    await this.jobs.addNew(claims.map((claim) => this.job(claim)));
  }

  /** Which of these deliveries have a live job, checked together. */
  queuedAmong(deliveryIds: string[]): Promise<boolean[]> {
    return this.jobs.liveAmong(deliveryIds.map(deliveryJobId));
  }

  /**
   * One job per delivery. Webhooks and Slack retry on their own schedule, exponential with jitter
   * so a receiver coming back up is not hit by every sender at the same instant. A job that
   * completed is deleted at once: the ledger row records what was sent, and keeping the job would
   * only cost Redis writes. Failed jobs stay a week for inspection.
   */
  private job({ deliveryId, channel, holdUntil, traceparent }: QueuedDelivery): NewJob<SendJobData> {
    const email = channel === 'email';
    return {
      name: DeliveryJobName.Send,
      data: { deliveryId, channel, ...(traceparent && { traceparent }) },
      options: {
        jobId: deliveryJobId(deliveryId),
        delay: holdUntil ? Math.max(0, holdUntil.getTime() - Date.now()) : 0,
        attempts: email ? this.config.delivery.sendAttempts : this.config.webhooks.attempts,
        backoff: { type: 'exponential', delay: email ? 500 : this.config.webhooks.backoffMs, jitter: 0.5 },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 86_400 },
      },
    };
  }
}
