import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { AssignmentService } from '../assignment/assignment.service';
import { type RoutingConfig } from '../config/routing.config';
import { ROUTING_CONFIG } from '../routing.tokens';
import { OverflowProcessor } from './overflow.processor';
import { OverflowTimers } from './overflow-timers';

/**
 * Two promises kept from Postgres, at start-up and then periodically:
 * - every unanswered assignment with an overflow deadline has its timer (re-armed if Redis lost it,
 *   fired at once if already overdue);
 * - no ticket waits while a qualified agent has room. Assignment skips agents locked by concurrent
 *   transactions, so a ticket can be queued just as a slot frees; this round places it.
 */
@Injectable()
export class RoutingReconciler extends PeriodicTask {
  protected readonly intervalMs: number;

  constructor(
    @Inject(ROUTING_CONFIG) config: RoutingConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly timers: OverflowTimers,
    private readonly overflow: OverflowProcessor,
    private readonly assignments: AssignmentService,
  ) {
    super();
    this.intervalMs = config.routing.reconcileIntervalMs;
  }

  async runOnce(): Promise<{ rearmed: number; fired: number; placed: number }> {
    const timed = await this.dataSource.query<
      Array<{ tenant: string; ticket_id: string; epoch: number; overflow_due_at: Date }>
    >(
      `SELECT tenant, ticket_id, epoch, overflow_due_at FROM assignments
       WHERE state = 'active' AND responded_at IS NULL AND overflow_due_at IS NOT NULL ORDER BY overflow_due_at`,
    );
    let rearmed = 0;
    let fired = 0;
    for (const row of timed) {
      if (await this.timers.isArmed(row.ticket_id, row.epoch)) continue;
      const data = { tenant: row.tenant, ticketId: row.ticket_id, epoch: row.epoch };
      if (row.overflow_due_at.getTime() <= Date.now()) {
        await this.overflow.fire(data);
        fired += 1;
      } else {
        await this.timers.arm(data, row.overflow_due_at);
        rearmed += 1;
      }
    }

    const free = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT a.id FROM agents a
       WHERE a.status = 'online' AND a.active_count < a.capacity
         AND EXISTS (SELECT 1 FROM routing_queue q WHERE q.tenant = a.tenant
                       AND (q.team_id IS NULL OR q.team_id = a.team_id) AND a.skills @> q.required_skills)`,
    );
    let placed = 0;
    for (const agent of free) {
      placed += await this.dataSource.transaction((manager) =>
        this.assignments.drainForAgent(manager, agent.id, { kind: 'job' }),
      );
    }
    if (rearmed + fired + placed > 0) {
      this.logger.warn({ msg: 'Reconciled routing state', rearmed, fired, placed });
    }
    return { rearmed, fired, placed };
  }
}
