import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { FollowUp } from './follow-up.entity';
import { FollowUpProcessor } from './follow-up.processor';
import { FollowUpTimers } from './follow-up-timers';

/**
 * Postgres holds every scheduled follow-up; Redis may lose the jobs. Each round, scheduled
 * follow-ups without a live job are run at once when due, or re-armed when not.
 */
@Injectable()
export class FollowUpReconciler extends PeriodicTask {
  protected readonly intervalMs: number;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly timers: FollowUpTimers,
    private readonly processor: FollowUpProcessor,
  ) {
    super();
    this.intervalMs = config.delivery.reconcileIntervalMs;
  }

  async runOnce(): Promise<{ rearmed: number; ran: number }> {
    let rearmed = 0;
    let ran = 0;
    for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
      const page = await this.dataSource
        .getRepository(FollowUp)
        .createQueryBuilder('f')
        .where(`f.state = 'scheduled' AND f.id > :after`, { after })
        .orderBy('f.id')
        .limit(1_000)
        .getMany();
      if (page.length === 0) break;
      const live = await this.timers.areArmed(page.map((followUp) => followUp.id));
      for (const [index, followUp] of page.entries()) {
        if (live[index]) continue;
        if (followUp.dueAt.getTime() <= Date.now()) {
          await this.processor.run(followUp.id);
          ran += 1;
        } else {
          await this.timers.arm(followUp.id, followUp.dueAt);
          rearmed += 1;
        }
      }
      after = page[page.length - 1].id;
    }
    if (rearmed + ran > 0) this.logger.warn({ msg: 'Reconciled follow-ups Redis had lost', rearmed, ran });
    return { rearmed, ran };
  }
}
