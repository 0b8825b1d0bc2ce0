import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { type RoutingConfig } from '../config/routing.config';
import { ROUTING_CONFIG } from '../routing.tokens';
import { AssignmentService } from './assignment.service';

/**
 * No ticket waits while a qualified agent has room, checked from Postgres at start-up and then
 * periodically. Assignment skips agents locked by concurrent transactions, so a ticket can be
 * queued just as a slot frees; this round places it.
 */
@Injectable()
export class QueueDrainer extends PeriodicTask {
  protected readonly intervalMs: number;

  constructor(
    @Inject(ROUTING_CONFIG) config: RoutingConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly assignments: AssignmentService,
  ) {
    super();
    this.intervalMs = config.routing.reconcileIntervalMs;
  }

  async runOnce(): Promise<{ placed: number }> {
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
    // An agent the query found may place nothing (the rules changed, or another replica placed the
    // ticket first): only a ticket actually placed says a race had left it waiting.
    if (placed > 0) this.logger.warn({ msg: 'Placed queued tickets a race left waiting', placed });
    return { placed };
  }
}
