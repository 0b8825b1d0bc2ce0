import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HealthService, MetricsService } from '@app/observability';
import { DurableTimers } from '@app/timers';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';

/** The queue of the wake-ups and of the timer rows: data in Redis and Postgres, frozen. */
export const FOLLOW_UP_QUEUE = 'notification-follow-ups';

/** Only the row id is kept with the timer (S4). */
export interface FollowUpJobData {
  followUpId: string;
}

/** One timer per follow-up: a follow-up's deadline never moves, a new one is a new row. */
export const followUpJobId = (data: FollowUpJobData) => `follow-up-${data.followUpId}`;

/** The deadlines of follow-ups, armed and disarmed in the transactions that schedule and end them. */
@Injectable()
export class FollowUpTimers extends DurableTimers<FollowUpJobData> {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) config: NotificationsConfig,
    @InjectDataSource() dataSource: DataSource,
    health: HealthService,
    metrics: MetricsService,
  ) {
    super(
      { queue: FOLLOW_UP_QUEUE, idOf: followUpJobId },
      { redis: config.redis, dataSource, health, metrics },
      { roundMs: config.timers.roundMs },
    );
    this.wakeUps.reportDepth(metrics, 'notification_follow_up_queue_depth', 'Follow-up wake-ups by state');
  }
}
