import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryChannel } from '../channels/channel';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { DeliveryQueue } from './delivery-queue';

/** A claim younger than this may still have its first job on the way. */
const GRACE_MS = 5_000;

/**
 * Postgres holds every open delivery; Redis may lose its jobs. At start-up and periodically, each
 * pending or sending row older than a few seconds without a live job is queued again.
 */
@Injectable()
export class DeliveryReconciler extends PeriodicTask {
  protected readonly intervalMs: number;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: DeliveryQueue,
  ) {
    super();
    this.intervalMs = config.delivery.reconcileIntervalMs;
  }

  async runOnce(): Promise<number> {
    // `sending` rows too: their job reruns and settles them (sent again or unconfirmed).
    const open = await this.dataSource.query<
      Array<{ id: string; channel: DeliveryChannel; hold_until: Date | null }>
    >(
      `SELECT id, channel, hold_until FROM deliveries
       WHERE state IN ('pending', 'sending') AND created_at < now() - make_interval(secs => $1)
       ORDER BY created_at LIMIT 1000`,
      [GRACE_MS / 1000],
    );
    // Checked in one burst: a backlog of held deliveries costs a few round trips, not two each.
    const queued = await this.queue.queuedAmong(open.map((row) => row.id));
    let requeued = 0;
    for (const [index, { id, channel, hold_until: holdUntil }] of open.entries()) {
      if (queued[index]) continue;
      await this.queue.enqueue(id, channel, holdUntil);
      requeued += 1;
    }
    if (requeued > 0) this.logger.warn({ msg: 'Re-queued open deliveries Redis had lost', requeued });
    return requeued;
  }
}
