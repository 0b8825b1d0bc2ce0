import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type CandidateVerdict, type RoutingDecision } from '@app/contracts';
import { type RoutingPlan } from './routing-plan';

/** An agent locked FOR UPDATE: its load can change only in this transaction until it ends. */
export interface LockedAgent {
  id: string;
  tenant: string;
  name: string;
  email: string;
  capacity: number;
  activeCount: number;
  teamId: string | null;
  skills: string[];
  status: 'online' | 'away' | 'offline';
}

const LOCKED_COLUMNS = `id, tenant, name, email, capacity, active_count AS "activeCount", team_id AS "teamId", skills, status`;

/**
 * Picks the least-loaded qualified agent, ties to the longest idle (round robin), and explains the
 * choice. Capacity is exact however many replicas run: the pick locks the agent row, and FOR UPDATE
 * re-checks `active_count < capacity` on the row's newest version before returning it.
 */
@Injectable()
export class AgentSelector {
  async pick(
    manager: EntityManager,
    tenant: string,
    plan: Pick<RoutingPlan, 'teamId' | 'requiredSkills'>,
    options: { exclude?: string[]; prefer?: string } = {},
  ): Promise<LockedAgent | undefined> {
    const conditions = `tenant = $1 AND status = 'online' AND active_count < capacity
      AND ($2::uuid IS NULL OR team_id = $2) AND skills @> $3::text[] AND NOT (id = ANY($4::uuid[]))`;
    const params = [tenant, plan.teamId, plan.requiredSkills, options.exclude ?? []];
    if (options.prefer) {
      const [preferred] = await manager.query<LockedAgent[]>(
        `SELECT ${LOCKED_COLUMNS} FROM agents WHERE ${conditions} AND id = $5 FOR UPDATE SKIP LOCKED`,
        [...params, options.prefer],
      );
      if (preferred) return preferred;
    }
    const [agent] = await manager.query<LockedAgent[]>(
      `SELECT ${LOCKED_COLUMNS} FROM agents WHERE ${conditions}
       ORDER BY active_count, last_assigned_at NULLS FIRST, id
       LIMIT 1 FOR UPDATE SKIP LOCKED`,
      params,
    );
    return agent;
  }

  /** Locks one agent by id, for draining the queue onto them. */
  async lock(manager: EntityManager, agentId: string): Promise<LockedAgent | undefined> {
    const [agent] = await manager.query<LockedAgent[]>(
      `SELECT ${LOCKED_COLUMNS} FROM agents WHERE id = $1 FOR UPDATE`,
      [agentId],
    );
    return agent;
  }

  /**
   * Why each agent was or was not chosen, judged in the same transaction as the pick. `chosen` is
   * the agent as it was before this assignment; null when the ticket is queued.
   */
  async explain(
    manager: EntityManager,
    tenant: string,
    plan: RoutingPlan,
    chosen: { id: string; activeCount: number } | null,
    exclude: string[] = [],
  ): Promise<RoutingDecision> {
    const judged = `
      WITH judged AS (
        SELECT id, capacity, active_count, last_assigned_at,
          ARRAY(SELECT unnest($3::text[]) EXCEPT SELECT unnest(skills) ORDER BY 1) AS missing,
          CASE
            WHEN id = $5 THEN 'chosen'
            WHEN id = ANY($4::uuid[]) THEN 'excluded'
            WHEN status = 'offline' THEN 'offline'
            WHEN status = 'away' THEN 'away'
            WHEN $2::uuid IS NOT NULL AND team_id IS DISTINCT FROM $2 THEN 'not_in_team'
            WHEN NOT skills @> $3::text[] THEN 'missing_skills'
            WHEN active_count >= capacity THEN 'at_capacity'
            WHEN $6::int IS NULL OR active_count < $6 THEN 'contended'
            WHEN active_count > $6 THEN 'more_loaded'
            ELSE 'less_idle'
          END AS verdict
        FROM agents WHERE tenant = $1)`;
    const params = [
      tenant,
      plan.teamId,
      plan.requiredSkills,
      exclude,
      chosen?.id ?? null,
      chosen?.activeCount ?? null,
    ];
    // One statement for both answers: the CTE is computed once, and one round trip is saved.
    const [{ counts, nearest }] = await manager.query<
      Array<{
        counts: Array<{ verdict: CandidateVerdict; n: number }>;
        nearest: Array<{
          id: string;
          verdict: CandidateVerdict;
          active_count: number;
          capacity: number;
          missing: string[];
        }>;
      }>
    >(
      `${judged}
       SELECT
         (SELECT coalesce(json_agg(c), '[]') FROM (
            SELECT verdict, count(*)::int AS n FROM judged GROUP BY verdict) c) AS counts,
         (SELECT coalesce(json_agg(a ORDER BY a.rank), '[]') FROM (
            SELECT id, verdict, active_count, capacity, missing, row_number() OVER (
              ORDER BY array_position(ARRAY['chosen','less_idle','more_loaded','contended','at_capacity',
                'missing_skills','not_in_team','away','offline','excluded'], verdict), active_count,
                last_assigned_at NULLS FIRST, id) AS rank
            FROM judged ORDER BY rank LIMIT 20) a) AS nearest`,
      params,
    );
    return {
      rule: plan.rule,
      teamId: plan.teamId,
      requiredSkills: plan.requiredSkills,
      languageRequired: plan.languageRequired,
      candidates: nearest.map((agent) => ({
        agentId: agent.id,
        verdict: agent.verdict,
        activeCount: agent.active_count,
        capacity: agent.capacity,
        ...(agent.verdict === 'missing_skills' ? { missingSkills: agent.missing } : {}),
      })),
      verdicts: Object.fromEntries(counts.map(({ verdict, n }) => [verdict, n])),
    };
  }
}
