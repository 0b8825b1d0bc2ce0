import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { type EntityManager } from 'typeorm';
import { afterCommit } from '@app/database';
import { MetricsService } from '@app/observability';
import { type DueTimer, type TimerOutcome } from '@app/timers';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryChannel } from '../channels/channel';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { type DeliveryState } from './delivery.entity';
import { DeliveryQueue } from './delivery-queue';
import { type DeliveryTimerData, DeliveryTimers } from './delivery-timers';

interface WatchedRow {
  id: string;
  channel: DeliveryChannel;
  state: DeliveryState;
  attempts: number;
  holdUntil: Date | null;
  createdAt: Date;
  sentWith: string | null;
}

interface Handover {
  row: WatchedRow;
  /** Fired a lease or more after the row became due: the row was in the queue's hands already. */
  watching: boolean;
  /** The trace that armed the watching timer: the send continues it. */
  traceparent: string | null;
}

/** Reported with the repair warning, at most: enough to look a few of them up in the ledger. */
const LOGGED_IDS = 20;

/**
 * Fires delivery timers, a batch at a time in the drain's transaction, with the rows locked in id
 * order. Postgres decides what a timer means:
 * - a row gone, settled, or on another attempt than the timer's: nothing to do (`stale`);
 * - a pending row held for later (quiet hours, coalescing, a retry's backoff): wait for it;
 * - a row due: it is handed to the send queue, and the timer stays, due again after the lease.
 * The timer firing again finds a row still open: a live send job means the send is merely queued or
 * slow, and the lease is extended; no live job means Redis lost it, and only then is the row queued
 * again with a warning. What a re-run of a row found `sending` does is the worker's rule (R5).
 */
@Injectable()
export class DeliveryWatchdog implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliveryWatchdog.name);
  private readonly repairs: Counter;
  private readonly leaseMs: number;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) config: NotificationsConfig,
    private readonly timers: DeliveryTimers,
    private readonly queue: DeliveryQueue,
    metrics: MetricsService,
  ) {
    this.leaseMs = config.delivery.leaseMs;
    this.repairs = metrics.counter(
      'notification_delivery_repairs_total',
      'Open deliveries queued again because Redis had lost their send job',
      ['channel'],
    );
  }

  /** After every module's init, so a Redis that failed the safety check never fires anything. */
  async onApplicationBootstrap(): Promise<void> {
    await this.timers.start((manager, due, now) => this.fire(manager, due, now));
  }

  async fire(
    manager: EntityManager,
    due: Array<DueTimer<DeliveryTimerData>>,
    now: Date,
  ): Promise<TimerOutcome[]> {
    // Locked, so a worker settling one of them waits for this firing, or this firing finds it settled.
    const rows = await manager.query<WatchedRow[]>(
      `SELECT id, channel, state, attempts, hold_until AS "holdUntil", created_at AS "createdAt",
              sent_with AS "sentWith"
       FROM deliveries WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [due.map((timer) => timer.data.deliveryId)],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const lease = { notBefore: new Date(now.getTime() + this.leaseMs) };
    const outcomes: TimerOutcome[] = [];
    const handovers: Handover[] = [];
    for (const timer of due) {
      const row = byId.get(timer.data.deliveryId);
      if (!row || !watches(timer.data, row)) {
        outcomes.push('stale');
      } else if (row.state === 'pending' && row.holdUntil && row.holdUntil > now) {
        outcomes.push({ notBefore: row.holdUntil });
      } else {
        // Carried by another delivery's email: that one's job and watchdog settle both.
        outcomes.push(lease);
        if (!row.sentWith)
          handovers.push({ row, watching: this.watching(timer, row), traceparent: timer.traceparent });
      }
    }
    if (handovers.length === 0) return outcomes;

    // Checked together: a batch of due rows costs a few round trips, not two each.
    const live = await this.queue.queuedAmong(handovers.map(({ row }) => row.id));
    const queued = handovers.filter((_, position) => !live[position]);
    if (queued.length > 0) await afterCommit(manager, () => this.enqueue(queued));
    return outcomes;
  }

  /**
   * A timer first fires when its row becomes due: at its hold, or at once for a claim sent straight
   * away. Only a firing a lease later, when the row had been handed over, finds a job that was lost.
   */
  private watching(timer: DueTimer<DeliveryTimerData>, row: WatchedRow): boolean {
    const dueSince = (row.holdUntil ?? row.createdAt).getTime();
    return timer.dueAt.getTime() >= dueSince + this.leaseMs / 2;
  }

  /** After the commit, so the worker finds the firing's view of the row. */
  private async enqueue(queued: Handover[]): Promise<void> {
    await Promise.all(
      queued.map(({ row, traceparent }) =>
        this.queue.enqueue({ deliveryId: row.id, channel: row.channel, holdUntil: null, traceparent }),
      ),
    );
    const lost = queued.filter((handover) => handover.watching);
    if (lost.length === 0) return;
    for (const { row } of lost) this.repairs.inc({ channel: row.channel });
    this.logger.warn({
      msg: 'Re-queued open deliveries Redis had lost',
      requeued: lost.length,
      deliveryIds: lost.slice(0, LOGGED_IDS).map(({ row }) => row.id),
    });
  }
}

/** Whether this timer is the one watching the row's current attempt (see DeliveryTimerData). */
function watches(timer: DeliveryTimerData, row: WatchedRow): boolean {
  if (row.state === 'pending') return row.attempts === timer.attempt;
  return row.state === 'sending' && row.attempts > timer.attempt;
}
