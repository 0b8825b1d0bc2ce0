import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { ClockService } from '../clocks/clock.service';
import { SlaClock } from '../clocks/sla-clock.entity';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG } from '../sla.tokens';
import { TimerProcessor } from './timer.processor';
import { SlaTimers } from './sla-timers';

/**
 * R3: Postgres holds every deadline; Redis may lose the timers (flush, restart without AOF).
 * At start-up and then periodically, every running clock (breach and warnings) and every breached
 * clock still escalating is checked: an overdue timer fires directly, a future one whose job is
 * missing is re-armed with its deterministic id.
 */
@Injectable()
export class TimerReconciler extends PeriodicTask {
  protected readonly intervalMs: number;

  constructor(
    @Inject(SLA_CONFIG) config: SlaConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clocks: ClockService,
    private readonly timers: SlaTimers,
    private readonly processor: TimerProcessor,
  ) {
    super();
    this.intervalMs = config.timers.reconcileIntervalMs;
  }

  async runOnce(): Promise<{ rearmed: number; fired: number }> {
    const clocks = await this.dataSource
      .getRepository(SlaClock)
      .createQueryBuilder('c')
      .where(`c.state = 'running'`)
      .orWhere(`c.state = 'breached' AND c.stopped_at IS NULL`)
      .orderBy('c.due_at')
      .getMany();
    let rearmed = 0;
    let fired = 0;
    for (const clock of clocks) {
      for (const timer of await this.clocks.timersFor(this.dataSource.manager, clock)) {
        if (await this.timers.isArmed(timer.job)) continue;
        if (timer.at.getTime() <= Date.now()) {
          if ((await this.processor.fire(timer.job)) === 'fired') fired += 1;
        } else {
          await this.timers.arm(timer.job, timer.at);
          rearmed += 1;
        }
      }
    }
    if (rearmed + fired > 0)
      this.logger.warn({ msg: 'Reconciled SLA timers Redis had lost', rearmed, fired });
    return { rearmed, fired };
  }
}
