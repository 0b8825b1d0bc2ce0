import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG } from '../sla.tokens';
import { BreachProcessor } from './breach.processor';
import { SlaTimers } from './sla-timers';

/**
 * R3: Postgres holds every deadline; Redis may lose the timers (flush, restart without AOF).
 * At start-up and then periodically, every running clock is checked: an overdue one is fired
 * directly, a future one whose job is missing is re-armed with its deterministic id.
 */
@Injectable()
export class TimerReconciler extends PeriodicTask {
  protected readonly intervalMs: number;

  constructor(
    @Inject(SLA_CONFIG) config: SlaConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly timers: SlaTimers,
    private readonly breaches: BreachProcessor,
  ) {
    super();
    this.intervalMs = config.timers.reconcileIntervalMs;
  }

  async runOnce(): Promise<{ rearmed: number; fired: number }> {
    const clocks = await this.dataSource.query<Array<{ id: string; epoch: number; due_at: Date }>>(
      `SELECT id, epoch, due_at FROM sla_clocks WHERE state = 'running' ORDER BY due_at`,
    );
    let rearmed = 0;
    let fired = 0;
    for (const clock of clocks) {
      if (await this.timers.isArmed(clock.id, clock.epoch)) continue;
      if (clock.due_at.getTime() <= Date.now()) {
        if ((await this.breaches.fire(clock.id, clock.epoch)) === 'breached') fired += 1;
      } else {
        await this.timers.armBreach(clock.id, clock.epoch, clock.due_at);
        rearmed += 1;
      }
    }
    if (rearmed + fired > 0)
      this.logger.warn({ msg: 'Reconciled SLA timers Redis had lost', rearmed, fired });
    return { rearmed, fired };
  }
}
