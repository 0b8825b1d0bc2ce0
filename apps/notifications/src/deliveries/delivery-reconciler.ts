import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { DeliveryQueue } from './delivery-queue';

/** A claim younger than this may still have its first job on the way. */
const GRACE_MS = 5_000;

/**
 * Postgres holds every pending delivery; Redis may lose its jobs. At start-up and periodically,
 * each pending row older than a few seconds without a live job is queued again.
 */
@Injectable()
export class DeliveryReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryReconciler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: DeliveryQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => {
      this.running ??= this.reconcile()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.error({
            msg: 'Delivery reconciliation failed; next round retries',
            error: (error as Error).message,
          }),
        )
        .finally(() => (this.running = undefined));
    }, this.config.delivery.reconcileIntervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async reconcile(): Promise<number> {
    const pending = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM deliveries WHERE state = 'pending' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT 1000`,
      [GRACE_MS / 1000],
    );
    let requeued = 0;
    for (const { id } of pending) {
      if (await this.queue.isQueued(id)) continue;
      await this.queue.enqueue(id);
      requeued += 1;
    }
    if (requeued > 0) this.logger.warn({ msg: 'Re-queued pending deliveries Redis had lost', requeued });
    return requeued;
  }
}
