import {
  Column,
  CreateDateColumn,
  Entity,
  type EntityManager,
  type FindOptionsOrder,
  Not,
  PrimaryColumn,
} from 'typeorm';
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

/** What a policy version is written from: the admin API's body or an imported document. */
export interface PolicyTerms {
  name: string;
  match: TicketMatch;
  targets: PolicyTargets;
  calendarId?: string;
  pauseOn?: TicketStatus[];
  warnAt?: number[];
  escalation?: EscalationStep[];
}

/** Writes one immutable version, current and active, with the defaults every policy gets. */
export function writePolicyVersion(
  manager: EntityManager,
  version: { tenant: string; id: string; version: number; position: number; body: PolicyTerms },
): Promise<SlaPolicy> {
  const { body } = version;
  return manager.save(
    manager.create(SlaPolicy, {
      id: version.id,
      version: version.version,
      tenant: version.tenant,
      name: body.name,
      position: version.position,
      match: { ...body.match },
      targets: { ...body.targets },
      calendarId: body.calendarId ?? null,
      pauseOn: body.pauseOn ?? ['pending', 'on_hold'],
      warnAt: body.warnAt ?? [0.75],
      escalation: (body.escalation ?? []).map(({ after, notify }) => ({ after, notify })),
      current: true,
      active: true,
    }),
  );
}

/**
 * The one order policies are listed, exported and matched in: lowest position first, the older
 * one first at equal positions.
 */
export const MATCH_ORDER: FindOptionsOrder<SlaPolicy> = { position: 'ASC', createdAt: 'ASC' };

/**
 * The current version of each of the tenant's active policies, in match order: what tickets are
 * matched against, listed and exported. `lock` locks them for a writer that replaces them.
 */
export function livePolicies(manager: EntityManager, tenant: string, options: { lock?: boolean } = {}) {
  return manager.find(SlaPolicy, {
    where: { tenant, current: true, active: true },
    order: MATCH_ORDER,
    ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
}

/**
 * Serialises the writers of a tenant's policies until the transaction ends: positions are read
 * and moved, and names checked, as one step.
 */
export async function lockPolicies(manager: EntityManager, tenant: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('sla_policies:' || $1))`, [tenant]);
}

/** Whether a live policy other than `exceptId` already has this name. */
export function nameTaken(manager: EntityManager, tenant: string, name: string, exceptId?: string) {
  return manager.exists(SlaPolicy, {
    where: { tenant, name, current: true, active: true, ...(exceptId ? { id: Not(exceptId) } : {}) },
  });
}
