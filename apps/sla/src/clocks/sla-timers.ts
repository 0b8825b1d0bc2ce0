import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HealthService, MetricsService } from '@app/observability';
import { DurableTimers } from '@app/timers';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG } from '../sla.tokens';

/** Ids only, never personal data (S4). */
export type SlaJobData =
  | { kind: 'breach'; clockId: string; epoch: number }
  | { kind: 'warning'; clockId: string; epoch: number; fraction: number }
  | { kind: 'escalation'; clockId: string; step: number };

/**
 * A clock whose timers are to be worked out again and armed: how clocks running under an earlier
 * release, whose timers lived in Redis only, got theirs.
 */
export type SlaTimerData = SlaJobData | { kind: 'rearm'; clockId: string };

/**
 * Deterministic per clock and epoch (per step for escalations, which follow a breach that never
 * moves): re-arming the same timer is a no-op, a new epoch a new timer.
 */
export function slaJobId(job: SlaTimerData): string {
  switch (job.kind) {
    case 'breach':
      return `breach-${job.clockId}-${job.epoch}`;
    case 'warning':
      return `warning-${job.clockId}-${job.epoch}-${job.fraction}`;
    case 'escalation':
      return `escalation-${job.clockId}-${job.step}`;
    case 'rearm':
      return `rearm-${job.clockId}`;
  }
}

/** Warnings, breaches and escalation steps. The queue name is data in Redis and Postgres: frozen. */
@Injectable()
export class SlaTimers extends DurableTimers<SlaTimerData> {
  constructor(
    @Inject(SLA_CONFIG) config: SlaConfig,
    @InjectDataSource() dataSource: DataSource,
    health: HealthService,
    metrics: MetricsService,
  ) {
    super(
      { queue: 'sla-timers', idOf: slaJobId },
      { redis: config.redis, dataSource, health, metrics },
      { roundMs: config.timers.roundMs },
    );
    this.wakeUps.reportDepth(metrics, 'sla_queue_depth', 'SLA timer wake-ups in Redis by state');
  }
}
