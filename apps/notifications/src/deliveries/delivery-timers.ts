import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HealthService, MetricsService } from '@app/observability';
import { DurableTimers } from '@app/timers';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';

/** The queue of the wake-ups and of the timer rows: data in Redis and Postgres, frozen. */
export const DELIVERY_TIMER_QUEUE = 'notification-delivery-timers';

/**
 * `attempt` is the row's `attempts` while it waits as `pending` for that attempt, and one less than
 * `attempts` while the attempt is `sending`: one timer watches a row from the moment it is open for
 * an attempt until that attempt settles.
 */
export interface DeliveryTimerData {
  deliveryId: string;
  attempt: number;
}

/** A new attempt is a new deadline, so a new id: arming keeps an id armed as it is. */
export const deliveryTimerId = (data: DeliveryTimerData) => `delivery-${data.deliveryId}-${data.attempt}`;

/** A row as settling statements return it: enough to name the timer that watched its attempt. */
export interface SettledAttempt {
  id: string;
  /** `attempts` after the attempt that just ended, which counted itself when it started. */
  attempts: number;
}

/**
 * One watchdog timer per open delivery, armed and disarmed in the transactions that open and settle
 * the row. Its firing hands the row to the send queue and then keeps watching it (DeliveryWatchdog).
 */
@Injectable()
export class DeliveryTimers extends DurableTimers<DeliveryTimerData> {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) config: NotificationsConfig,
    @InjectDataSource() dataSource: DataSource,
    health: HealthService,
    metrics: MetricsService,
  ) {
    super(
      { queue: DELIVERY_TIMER_QUEUE, idOf: deliveryTimerId },
      { redis: config.redis, dataSource, health, metrics },
      { roundMs: config.timers.roundMs },
    );
    this.wakeUps.reportDepth(
      metrics,
      'notification_delivery_timer_queue_depth',
      'Delivery watchdog wake-ups by state',
    );
  }

  /** Attempts that ended for good, or ended to wait for the next one: their watchdogs go. */
  disarmSettled(manager: EntityManager, rows: SettledAttempt[]): Promise<void> {
    return this.disarm(
      manager,
      rows.map((row) => ({ deliveryId: row.id, attempt: row.attempts - 1 })),
    );
  }
}
