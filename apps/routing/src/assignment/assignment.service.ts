import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { buildEvent, type Priority } from '@app/contracts';
import { type ChangeCause, eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type Counter } from 'prom-client';
import { Agent } from '../agents/agent.entity';
import { RoutingRule } from '../rules/routing-rule.entity';
import { Assignment } from './assignment.entity';
import { QueuedTicket } from './queued-ticket.entity';
import { type RoutableTicket, ruleMatches } from './rule-matcher';

export const ROUTING_SOURCE = 'ticketflow/routing';
const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };
/** How many queued tickets one freed slot or one agent change may try to place. */
const DRAIN_BATCH = 50;

export interface TicketToRoute extends RoutableTicket {
  tenant: string;
  ticketId: string;
}

/**
 * Least-loaded assignment that never exceeds capacity, however many consumers or replicas run:
 * the chosen agent row is locked (FOR UPDATE SKIP LOCKED re-checks `active_count < capacity` on
 * the latest row version), and its counter only changes under that lock.
 */
@Injectable()
export class AssignmentService {
  private readonly logger = new Logger(AssignmentService.name);
  private readonly outcomes: Counter;

  constructor(
    private readonly outbox: OutboxWriter,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('assignments_total', 'Routing decisions', ['outcome']);
  }

  /** Assigns a new ticket or queues it. A ticket already assigned or queued is left alone. */
  async route(manager: EntityManager, ticket: TicketToRoute, cause: ChangeCause): Promise<void> {
    const assigned = await manager.findOneBy(Assignment, {
      tenant: ticket.tenant,
      ticketId: ticket.ticketId,
    });
    const queued = await manager.findOneBy(QueuedTicket, {
      tenant: ticket.tenant,
      ticketId: ticket.ticketId,
    });
    if (assigned || queued) return;
    if (await this.tryAssign(manager, ticket, cause)) return;

    await manager.insert(QueuedTicket, {
      tenant: ticket.tenant,
      ticketId: ticket.ticketId,
      priority: ticket.priority as Priority,
      priorityRank: PRIORITY_RANK[ticket.priority as Priority] ?? 2,
      channel: ticket.channel as QueuedTicket['channel'],
      category: ticket.category,
      tags: ticket.tags,
      language: ticket.language,
      queuedAt: new Date(),
    });
    const reason = 'no online agent with free capacity and the required skills';
    await this.outbox.append(
      manager,
      buildEvent(
        'ticket.queued',
        { ticketId: ticket.ticketId, reason, queuedAt: new Date().toISOString() },
        this.meta(ticket, cause),
      ),
    );
    this.outcomes.inc({ outcome: 'queued' });
  }

  /** A solved or closed ticket frees its agent's slot, which the queue may take at once. */
  async release(manager: EntityManager, tenant: string, ticketId: string, cause: ChangeCause): Promise<void> {
    await manager.delete(QueuedTicket, { tenant, ticketId });
    const assignment = await manager.findOne(Assignment, {
      where: { tenant, ticketId, state: 'active' },
      lock: { mode: 'pessimistic_write' },
    });
    if (!assignment) return;
    await manager.update(Assignment, { tenant, ticketId }, { state: 'released', releasedAt: new Date() });
    await manager.query('UPDATE agents SET active_count = active_count - 1 WHERE id = $1', [
      assignment.agentId,
    ]);
    await this.drainQueue(manager, tenant, cause);
  }

  /** Places waiting tickets, urgent first then oldest, on whoever now has capacity. */
  async drainQueue(manager: EntityManager, tenant: string, cause: ChangeCause): Promise<number> {
    const waiting = await manager.query<QueuedTicket[]>(
      `SELECT tenant, ticket_id AS "ticketId", priority, channel, category, tags, language
       FROM routing_queue WHERE tenant = $1 ORDER BY priority_rank, queued_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [tenant, DRAIN_BATCH],
    );
    let placed = 0;
    for (const entry of waiting) {
      if (await this.tryAssign(manager, { ...entry, tenant }, cause)) {
        await manager.delete(QueuedTicket, { tenant, ticketId: entry.ticketId });
        placed += 1;
      }
    }
    return placed;
  }

  private async tryAssign(
    manager: EntityManager,
    ticket: TicketToRoute,
    cause: ChangeCause,
  ): Promise<boolean> {
    const rules = await manager.find(RoutingRule, {
      where: { tenant: ticket.tenant },
      order: { position: 'ASC', createdAt: 'ASC' },
    });
    const rule = rules.find((candidate) => ruleMatches(candidate, ticket));
    const requiredSkills = rule?.assign.requiredSkills ?? [];
    const teamId = rule?.assign.teamId ?? null;

    const [agent] = await manager.query<Array<Agent & { active_count: number }>>(
      `SELECT id, name, email, capacity, active_count, team_id AS "teamId" FROM agents
       WHERE tenant = $1 AND status = 'online' AND active_count < capacity
         AND ($2::uuid IS NULL OR team_id = $2) AND skills @> $3::text[]
       ORDER BY active_count, last_assigned_at NULLS FIRST, id
       LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [ticket.tenant, teamId, requiredSkills],
    );
    if (!agent) return false;

    const now = new Date();
    await manager.query(
      'UPDATE agents SET active_count = active_count + 1, last_assigned_at = $2 WHERE id = $1',
      [agent.id, now],
    );
    const reason = `least-loaded: ${agent.active_count} of ${agent.capacity} in use${rule ? `, rule ${rule.id}` : ''}`;
    await manager.upsert(
      Assignment,
      {
        tenant: ticket.tenant,
        ticketId: ticket.ticketId,
        agentId: agent.id,
        teamId: agent.teamId,
        state: 'active',
        ruleId: rule?.id ?? null,
        reason,
        assignedAt: now,
        releasedAt: null,
      },
      ['tenant', 'ticketId'],
    );
    await this.outbox.append(
      manager,
      buildEvent(
        'ticket.assigned',
        {
          ticketId: ticket.ticketId,
          agentId: agent.id,
          teamId: agent.teamId,
          agent: { name: agent.name, email: agent.email },
          reason,
          assignedAt: now.toISOString(),
        },
        this.meta(ticket, cause),
      ),
    );
    this.outcomes.inc({ outcome: 'assigned' });
    this.logger.log({ msg: 'Ticket assigned', ticketId: ticket.ticketId, agentId: agent.id });
    return true;
  }

  private meta(ticket: TicketToRoute, cause: ChangeCause) {
    return eventMeta(ROUTING_SOURCE, ticket.ticketId, ticket.tenant, cause);
  }
}
