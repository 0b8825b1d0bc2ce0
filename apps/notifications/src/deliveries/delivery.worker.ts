import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job, Worker } from 'bullmq';
import { type Redis } from 'ioredis';
import { type Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { createRedisConnection } from '@app/database';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { MailSender } from '../email/mail-sender';
import { NOTIFICATIONS_CONFIG, NOTIFICATIONS_SOURCE } from '../notifications.tokens';
import { Delivery } from './delivery.entity';
import { DeliveryJobName, DeliveryQueueName, type SendJobData } from './delivery-jobs';

export type SendOutcome = 'sent' | 'already_done';

/** The claim's transaction has not committed yet (or rolled back): retry, then give up. */
class DeliveryNotVisibleError extends Error {
  constructor(deliveryId: string) {
    super(`Delivery ${deliveryId} is not in the ledger (yet)`);
    this.name = 'DeliveryNotVisibleError';
  }
}

/**
 * Sends what the ledger says is pending, then marks it sent and emits `notification.sent` in one
 * transaction. Only a row still `pending` is sent, so a finished delivery is never sent again.
 */
/** A claim commits within milliseconds; a row still missing after this long was rolled back. */
const VISIBILITY_POLLS = 20;
const VISIBILITY_POLL_MS = 100;

@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorker.name);
  private worker: Worker<SendJobData> | undefined;
  private connection: Redis | undefined;
  private readonly outcomes: Counter;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mail: MailSender,
    private readonly outbox: OutboxWriter,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('notification_deliveries_total', 'Delivery attempts by outcome', [
      'outcome',
    ]);
  }

  /** After every module's init, so a Redis that failed the safety check never gets a worker. */
  onApplicationBootstrap(): void {
    this.connection = createRedisConnection(this.config.redis.url);
    this.worker = new Worker<SendJobData>(DeliveryQueueName.Outbound, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redis.keyPrefix,
      concurrency: 4,
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) =>
      this.logger.error({ msg: 'Delivery worker error', error: error.message }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    // close() lets the message in flight finish and be marked before the pool closes (R8).
    await this.worker?.close();
    this.connection?.disconnect();
  }

  async process(job: Job<SendJobData>): Promise<SendOutcome> {
    if (job.name !== (DeliveryJobName.Send as string)) throw new Error(`Unknown delivery job ${job.name}`);
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      return await this.send(job.data.deliveryId);
    } catch (error) {
      await this.recordFailure(job.data.deliveryId, error as Error, final);
      throw error;
    }
  }

  async send(deliveryId: string): Promise<SendOutcome> {
    const delivery = await this.awaitVisible(deliveryId);
    if (!delivery) throw new DeliveryNotVisibleError(deliveryId);
    if (delivery.state !== 'pending' || !delivery.toAddress) return 'already_done';

    await this.mail.send({
      deliveryId,
      to: delivery.toAddress,
      subject: delivery.subject,
      text: delivery.body,
    });

    const sentAt = new Date();
    await this.dataSource.transaction(async (manager) => {
      const marked = await manager.update(
        Delivery,
        { id: deliveryId, state: 'pending' },
        { state: 'sent', sentAt, attempts: () => 'attempts + 1', lastError: null },
      );
      if (!marked.affected) return;
      await this.outbox.append(
        manager,
        buildEvent(
          'notification.sent',
          {
            ticketId: delivery.ticketId,
            deliveryId,
            channel: 'email',
            reason: delivery.reason,
            recipient: delivery.recipient,
            sentAt: sentAt.toISOString(),
          },
          eventMeta(NOTIFICATIONS_SOURCE, delivery.ticketId, delivery.tenant, { kind: 'job' }),
        ),
      );
    });
    this.outcomes.inc({ outcome: 'sent' });
    this.logger.log({
      msg: 'Notification sent',
      deliveryId,
      ticketId: delivery.ticketId,
      reason: delivery.reason,
    });
    return 'sent';
  }

  /**
   * The job is queued before the claiming transaction commits, so the row may be a moment away.
   * Waiting for it here keeps that moment from using up one of the delivery's send attempts.
   */
  private async awaitVisible(deliveryId: string): Promise<Delivery | null> {
    for (let attempt = 0; ; attempt++) {
      const delivery = await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId });
      if (delivery || attempt >= VISIBILITY_POLLS) return delivery;
      await new Promise((resolve) => setTimeout(resolve, VISIBILITY_POLL_MS));
    }
  }

  private async recordFailure(deliveryId: string, error: Error, final: boolean): Promise<void> {
    this.outcomes.inc({ outcome: final ? 'failed' : 'retried' });
    // SMTP replies can quote the address: the ledger keeps the text, the log only the kind (S4).
    const { code, responseCode } = error as Error & { code?: string; responseCode?: number };
    this.logger[final ? 'error' : 'warn']({
      msg: final ? 'Delivery failed for good' : 'Delivery failed; retrying',
      deliveryId,
      error: error.name,
      code: responseCode ?? code,
    });
    if (error instanceof DeliveryNotVisibleError) return;
    await this.dataSource.getRepository(Delivery).update(
      { id: deliveryId, state: 'pending' },
      {
        attempts: () => 'attempts + 1',
        lastError: error.message.slice(0, 1000),
        ...(final ? { state: 'failed' as const } : {}),
      },
    );
  }
}
