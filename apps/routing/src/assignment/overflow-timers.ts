import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HealthService, MetricsService } from '@app/observability';
import { DurableTimers } from '@app/timers';
import { type RoutingConfig } from '../config/routing.config';
import { ROUTING_CONFIG } from '../routing.tokens';

/** The queue name is data in Redis and in the `timers` table: a frozen string, never a class name. */
export enum RoutingQueue {
  Timers = 'routing-timers',
}

/** Ids only, never personal data. */
export interface OverflowJobData {
  tenant: string;
  ticketId: string;
  epoch: number;
}

/** Deterministic per assignment epoch: re-arming is a no-op, a new assignee a new timer. */
export function overflowJobId({ ticketId, epoch }: Pick<OverflowJobData, 'ticketId' | 'epoch'>): string {
  return `overflow-${ticketId}-${epoch}`;
}

/**
 * Overflow deadlines, armed and disarmed by AssignmentService in the transaction that assigns,
 * answers or releases. The deadline also stays on the assignment row, which decides when one fires.
 */
@Injectable()
export class OverflowTimers extends DurableTimers<OverflowJobData> {
  constructor(
    @Inject(ROUTING_CONFIG) config: RoutingConfig,
    @InjectDataSource() dataSource: DataSource,
    health: HealthService,
    metrics: MetricsService,
  ) {
    super(
      { queue: RoutingQueue.Timers, idOf: overflowJobId },
      { redis: config.redis, dataSource, health, metrics },
      { roundMs: config.timers.roundMs },
    );
    this.wakeUps.reportDepth(
      metrics,
      'routing_timer_queue_depth',
      'Overflow timer wake-ups in Redis by state',
    );
  }
}
