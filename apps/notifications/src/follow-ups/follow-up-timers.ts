import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { JobQueue, type NewJob } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';

/** Queue and job names are part of the data in Redis: frozen strings, never class names. */
export const FOLLOW_UP_QUEUE = 'notification-follow-ups';
export const FOLLOW_UP_JOB = 'follow-up.due';

/** Only the row id travels through Redis (S4). */
export interface FollowUpJobData {
  followUpId: string;
}

export const followUpJobId = (followUpId: string) => `follow-up-${followUpId}`;

/** Wakes follow-ups on time. Redis is an accelerator: the reconciler re-arms from Postgres. */
@Injectable()
export class FollowUpTimers implements OnModuleInit, OnModuleDestroy {
  readonly jobs: JobQueue<FollowUpJobData>;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) config: NotificationsConfig,
    private readonly health: HealthService,
    metrics: MetricsService,
  ) {
    this.jobs = new JobQueue(FOLLOW_UP_QUEUE, config.redis);
    this.jobs.reportDepth(metrics, 'notification_follow_up_queue_depth', 'Follow-up jobs by state');
  }

  async onModuleInit(): Promise<void> {
    await this.jobs.verify(this.health);
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.close();
  }

  /** Arms a follow-up whatever became of an earlier job for it, unless one is still live. */
  async arm(followUpId: string, at: Date): Promise<void> {
    const { name, data, options } = this.job(followUpId, at);
    await this.jobs.addUnlessLive(name, data, options);
  }

  /** Arms follow-ups just scheduled, which cannot have had a job yet: no look-up first. */
  async armNew(followUps: Array<{ id: string; dueAt: Date }>): Promise<void> {
    await this.jobs.addNew(followUps.map(({ id, dueAt }) => this.job(id, dueAt)));
  }

  /** A job that completed is deleted at once: the row in Postgres records what was done. */
  private job(followUpId: string, at: Date): NewJob<FollowUpJobData> {
    return {
      name: FOLLOW_UP_JOB,
      data: { followUpId },
      options: {
        jobId: followUpJobId(followUpId),
        delay: Math.max(0, at.getTime() - Date.now()),
        attempts: 10,
        backoff: { type: 'exponential', delay: 1_000 },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 86_400 },
      },
    };
  }

  /** Best effort: a job left behind finds its follow-up cancelled and does nothing. */
  async disarm(followUpIds: string[]): Promise<void> {
    for (const id of followUpIds) await this.jobs.queue.remove(followUpJobId(id));
  }

  areArmed(followUpIds: string[]): Promise<boolean[]> {
    return this.jobs.liveAmong(followUpIds.map(followUpJobId));
  }
}
