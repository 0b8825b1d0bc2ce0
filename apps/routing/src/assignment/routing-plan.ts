import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { parseIsoDuration, type Priority } from '@app/contracts';
import { DEFAULT_MAX_OVERFLOWS, RoutingRule } from '../rules/routing-rule.entity';
import { type RoutingTicket } from '../tickets/routing-ticket.entity';
import { ruleMatches } from './rule-matcher';

/** What routing requires of an assignee for one ticket, decided by the first matching rule. */
export interface RoutingPlan {
  rule: Pick<RoutingRule, 'id' | 'position'> | null;
  teamId: string | null;
  requiredSkills: string[];
  /** The ticket's language became a required skill because at least one agent speaks it. */
  languageRequired: boolean;
  /** The ticket's priority, or the rule's override: its place in the queue. */
  priority: Priority;
  overflowAfterMs: number | null;
  /** How many times a ticket may be passed on under this plan. */
  maxOverflows: number;
}

export const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

export const languageSkill = (language: string) => `lang:${language}`;

@Injectable()
export class RoutingPlanner {
  async plan(manager: EntityManager, ticket: RoutingTicket): Promise<RoutingPlan> {
    const rules = await manager.find(RoutingRule, {
      where: { tenant: ticket.tenant },
      order: { position: 'ASC', createdAt: 'ASC' },
    });
    const rule = rules.find((candidate) => ruleMatches(candidate, ticket)) ?? null;
    const skills = new Set(rule?.assign.requiredSkills ?? []);
    let languageRequired = false;
    if (ticket.language) {
      const skill = languageSkill(ticket.language);
      // A language nobody speaks must not leave the ticket waiting forever; one somebody speaks must
      // not go to somebody who does not.
      const [{ spoken }] = await manager.query<Array<{ spoken: boolean }>>(
        'SELECT EXISTS (SELECT 1 FROM agents WHERE tenant = $1 AND skills @> ARRAY[$2]::text[]) AS spoken',
        [ticket.tenant, skill],
      );
      if (spoken && !skills.has(skill)) {
        skills.add(skill);
        languageRequired = true;
      }
    }
    return {
      rule: rule && { id: rule.id, position: rule.position },
      teamId: rule?.assign.teamId ?? null,
      requiredSkills: [...skills].sort(),
      languageRequired,
      priority: rule?.assign.priority ?? ticket.priority,
      overflowAfterMs: rule?.assign.overflowAfter ? parseIsoDuration(rule.assign.overflowAfter) : null,
      maxOverflows: rule?.assign.maxOverflows ?? DEFAULT_MAX_OVERFLOWS,
    };
  }
}
