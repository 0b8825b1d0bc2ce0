import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { type Priority, type SlaMetric, type TicketMatch, type TicketStatus } from '@app/contracts';

export interface MetricTargets {
  firstResponse?: string;
  nextResponse?: string;
  resolution?: string;
}

export interface PolicyTargets extends MetricTargets {
  /** Targets for one priority inside the policy; a metric not named here falls back to the policy's. */
  byPriority?: Partial<Record<Priority, MetricTargets>>;
}

const TARGET_KEY: Record<SlaMetric, keyof MetricTargets> = {
  first_response: 'firstResponse',
  next_response: 'nextResponse',
  resolution: 'resolution',
};

/** The target a ticket of `priority` gets for `metric` under these targets, if any. */
export function targetFor(targets: PolicyTargets, metric: SlaMetric, priority: Priority): string | undefined {
  const key = TARGET_KEY[metric];
  return targets.byPriority?.[priority]?.[key] ?? targets[key];
}

export interface EscalationStep {
  after: string;
  notify: string[];
}

/**
 * One immutable version of a policy. Editing writes the next version; tickets keep the version
 * they started under, so a policy change never rewrites history.
 */
@Entity({ name: 'sla_policies' })
export class SlaPolicy {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @PrimaryColumn({ type: 'int' })
  version: number;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'text' })
  name: string;

  /** Policies are tried in ascending position; the first match applies. */
  @Column({ type: 'int' })
  position: number;

  @Column({ type: 'jsonb' })
  match: TicketMatch;

  @Column({ type: 'jsonb' })
  targets: PolicyTargets;

  @Column({ type: 'uuid', nullable: true })
  calendarId: string | null;

  @Column({ type: 'text', array: true })
  pauseOn: TicketStatus[];

  @Column({ type: 'float8', array: true })
  warnAt: number[];

  @Column({ type: 'jsonb' })
  escalation: EscalationStep[];

  /** True on the newest version only. */
  @Column({ type: 'boolean' })
  current: boolean;

  /** False once deleted: no new ticket starts under it. */
  @Column({ type: 'boolean' })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
