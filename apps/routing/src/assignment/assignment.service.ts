import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { buildEvent, type EventData, type RoutingDecision } from '@app/contracts';
import { type ChangeCause, eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type Counter, type Histogram } from 'prom-client';
import { ROUTING_SOURCE } from '../routing.tokens';
import { Agent } from '../agents/agent.entity';
import { Team } from '../teams/team.entity';
import { RoutingTicket } from '../tickets/routing-ticket.entity';
import { AgentSelector, type LockedAgent } from './agent-selector';
import { Assignment } from './assignment.entity';
import { OverflowTimers } from './overflow-timers';
import { QueuedTicket } from './queued-ticket.entity';
import { PRIORITY_RANK, type RoutingPlan, RoutingPlanner } from './routing-plan';

export type OverflowOutcome = 'reassigned' | 'kept' | 'stopped' | 'stale' | 'not_due';

type OverflowStopReason = EventData<'ticket.overflow.stopped'>['reason'];

/** The bound reached stops it; nobody new to take it keeps it where it is. */
const STOP_OUTCOMES: Record<OverflowStopReason, 'stopped' | 'kept'> = {
  limit_reached: 'stopped',
  no_other_agent: 'kept',
};

/** How often a ticket was passed on, and from whom, carried to its next assignee. */
interface PassedOn {
  count: number;
  from: string[];
}

interface RouteOptions {
  /** Agents who must not get it (the one who just gave it back). */
  exclude?: string[];
  /** The agent who had it before, kept when still qualified: a reopened ticket goes back to them. */
  prefer?: string;
}

/**
 * Every routing decision: assign, queue, release, drain the queue onto freed capacity, overflow to
 * the next agent, and hand back an offline agent's unanswered tickets. Each runs inside the
 * caller's transaction, and its events leave through the outbox with it.
 */
@Injectable()
export class AssignmentService {
  private readonly logger = new Logger(AssignmentService.name);
  private readonly outcomes: Counter;
  private readonly decisionSeconds: Histogram;

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly planner: RoutingPlanner,
    private readonly selector: AgentSelector,
    private readonly timers: OverflowTimers,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('assignments_total', 'Routing decisions', ['outcome']);
    this.decisionSeconds = metrics.histogram(
      'routing_decision_seconds',
      'Time to decide one assignment',
      ['outcome'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    );
  }

  /** Assigns a new or reopened ticket, or queues it. A ticket already assigned or queued is left alone. */
  async route(
    manager: EntityManager,
    ticket: RoutingTicket,
    cause: ChangeCause,
    options: RouteOptions = {},
  ): Promise<'assigned' | 'queued' | 'unchanged'> {
    const started = process.hrtime.bigint();
    const key = { tenant: ticket.tenant, ticketId: ticket.ticketId };
    const [active, queued] = await Promise.all([
      manager.findOneBy(Assignment, { ...key, state: 'active' }),
      manager.findOneBy(QueuedTicket, key),
    ]);
    if (active || queued) return 'unchanged';

    const plan = await this.planner.plan(manager, ticket);
    const agent = await this.selector.pick(manager, ticket.tenant, plan, options);
    const outcome = agent ? 'assigned' : 'queued';
    if (agent) {
      const decision = await this.selector.explain(manager, ticket.tenant, plan, agent, options.exclude);
      await this.assign(manager, ticket, plan, agent, decision, cause);
    } else {
      const decision = await this.selector.explain(manager, ticket.tenant, plan, null, options.exclude);
      await this.enqueue(manager, ticket, plan, decision, cause);
    }
    this.decisionSeconds.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }

  /** A solved or closed ticket frees its agent's slot, which the queue may take at once. */
  async release(manager: EntityManager, tenant: string, ticketId: string, cause: ChangeCause): Promise<void> {
    await manager.delete(QueuedTicket, { tenant, ticketId });
    const assignment = await this.lockActive(manager, tenant, ticketId);
    if (!assignment) return;
    await this.endAssignment(manager, assignment);
    await this.drainForAgent(manager, assignment.agentId, cause);
  }

  /** The first public reply: the overflow timer has nothing left to do. */
  async responded(manager: EntityManager, tenant: string, ticketId: string, at: Date): Promise<void> {
    await manager.query(
      'UPDATE routing_tickets SET first_response_at = COALESCE(first_response_at, $3) WHERE tenant = $1 AND ticket_id = $2',
      [tenant, ticketId, at],
    );
    const assignment = await this.lockActive(manager, tenant, ticketId);
    if (!assignment || assignment.respondedAt) return;
    await manager.update(Assignment, { tenant, ticketId }, { respondedAt: at, overflowDueAt: null });
    if (assignment.overflowDueAt) {
      await this.timers.disarm(manager, [{ tenant, ticketId, epoch: assignment.epoch }]);
    }
  }

  /**
   * Places queued tickets on one agent, urgent first then oldest, while they have room and qualify
   * (team and skills as the ticket's rule required when it was queued).
   */
  async drainForAgent(manager: EntityManager, agentId: string, cause: ChangeCause): Promise<number> {
    const agent = await this.selector.lock(manager, agentId);
    if (!agent) return 0;
    const room = agent.capacity - agent.activeCount;
    if (agent.status !== 'online' || room <= 0) return 0;
    const waiting = await manager.query<Array<{ ticketId: string }>>(
      `SELECT ticket_id AS "ticketId" FROM routing_queue
       WHERE tenant = $1 AND (team_id IS NULL OR team_id = $2) AND $3::text[] @> required_skills
       ORDER BY priority_rank, queued_at, ticket_id
       LIMIT $4 FOR UPDATE SKIP LOCKED`,
      [agent.tenant, agent.teamId, agent.skills, room],
    );
    let placed = 0;
    for (const { ticketId } of waiting) {
      const ticket = await manager.findOneBy(RoutingTicket, { tenant: agent.tenant, ticketId });
      if (!ticket) continue;
      const plan = await this.planner.plan(manager, ticket);
      // The rules may have changed since it was queued: place it only if this agent still qualifies.
      const stillFits =
        (!plan.teamId || plan.teamId === agent.teamId) &&
        plan.requiredSkills.every((skill) => agent.skills.includes(skill));
      if (!stillFits) continue;
      await manager.delete(QueuedTicket, { tenant: agent.tenant, ticketId });
      const decision = await this.selector.explain(manager, agent.tenant, plan, agent);
      await this.assign(manager, ticket, plan, agent, decision, cause);
      agent.activeCount += 1;
      placed += 1;
    }
    return placed;
  }

  /**
   * Locks, before any of it changes, what a batch of overflow timers may change: the tickets'
   * active assignments in key order, then the agents holding the ones still unanswered, in id
   * order (assignment before agent, as a release locks them). Firing the batch then waits for no
   * row it has not locked: the agents it passes tickets on to are picked with SKIP LOCKED. Two
   * batches, or a batch and a release, cannot wait for each other in a cycle.
   */
  async lockForOverflow(
    manager: EntityManager,
    tickets: Array<{ tenant: string; ticketId: string }>,
  ): Promise<Assignment[]> {
    if (tickets.length === 0) return [];
    const assignments = await manager.find(Assignment, {
      where: tickets.map(({ tenant, ticketId }) => ({ tenant, ticketId, state: 'active' as const })),
      order: { tenant: 'ASC', ticketId: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    const holders = [
      ...new Set(
        assignments
          .filter((assignment) => !assignment.respondedAt && assignment.overflowDueAt)
          .map((assignment) => assignment.agentId),
      ),
    ];
    if (holders.length > 0) {
      await manager.query('SELECT id FROM agents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
        holders,
      ]);
    }
    return assignments;
  }

  /**
   * The overflow timer fired. If the assignee still has not answered, the next qualified agent gets
   * the ticket and the team lead is named in the event. Passing on is bounded: never back to an
   * agent it was already passed on from, and at most the rule's `maxOverflows` times. When it may
   * not go on, or nobody new can take it, it stays with the assignee and its timer stops for good.
   */
  async overflow(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    epoch: number,
  ): Promise<OverflowOutcome> {
    const assignment = await this.lockActive(manager, tenant, ticketId);
    if (!assignment || assignment.epoch !== epoch || assignment.respondedAt || !assignment.overflowDueAt) {
      return 'stale';
    }
    if (assignment.overflowDueAt.getTime() > Date.now()) return 'not_due';
    const ticket = await manager.findOneByOrFail(RoutingTicket, { tenant, ticketId });
    const plan = await this.planner.plan(manager, ticket);
    if (assignment.overflowCount >= plan.maxOverflows) {
      return this.stopOverflow(manager, assignment, 'limit_reached');
    }
    const exclude = [...new Set([...assignment.overflowedFrom, assignment.agentId])];
    const next = await this.selector.pick(manager, tenant, plan, { exclude });
    if (!next) {
      return this.stopOverflow(manager, assignment, 'no_other_agent');
    }
    const decision = await this.selector.explain(manager, tenant, plan, next, exclude);
    await this.endAssignment(manager, assignment);
    const now = await this.assign(manager, ticket, plan, next, decision, { kind: 'job' }, assignment, {
      count: assignment.overflowCount + 1,
      from: exclude,
    });
    await this.outbox.append(
      manager,
      buildEvent(
        'ticket.reassigned',
        {
          ticketId,
          fromAgentId: assignment.agentId,
          agentId: next.id,
          teamId: next.teamId,
          agent: { name: next.name, email: next.email },
          reason: 'no_first_response',
          teamLead: await this.teamLeadOf(manager, next),
          epoch: assignment.epoch + 1,
          decision,
          reassignedAt: now.toISOString(),
        },
        eventMeta(ROUTING_SOURCE, ticketId, tenant, { kind: 'job' }),
      ),
    );
    await this.drainForAgent(manager, assignment.agentId, { kind: 'job' });
    this.outcomes.inc({ outcome: 'reassigned' });
    return 'reassigned';
  }

  /**
   * An agent went offline: the tickets they have not answered go back to routing (to someone else
   * now, or the queue); the ones they answered stay theirs.
   */
  async releaseAgent(manager: EntityManager, agentId: string, cause: ChangeCause): Promise<number> {
    const unanswered = await manager.find(Assignment, {
      where: { agentId, state: 'active', respondedAt: IsNull() },
      order: { assignedAt: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    let released = 0;
    for (const assignment of unanswered) {
      const ticket = await manager.findOneBy(RoutingTicket, {
        tenant: assignment.tenant,
        ticketId: assignment.ticketId,
      });
      // Routing cannot route again a ticket it knows nothing about; it stays rather than being stranded.
      if (!ticket) continue;
      await this.endAssignment(manager, assignment);
      await this.outbox.append(
        manager,
        buildEvent(
          'ticket.unassigned',
          {
            ticketId: assignment.ticketId,
            agentId,
            reason: 'agent_offline',
            unassignedAt: new Date().toISOString(),
          },
          eventMeta(ROUTING_SOURCE, assignment.ticketId, assignment.tenant, cause),
        ),
      );
      await this.route(manager, ticket, cause, { exclude: [agentId] });
      released += 1;
    }
    return released;
  }

  /** Re-plans every queued ticket of a tenant after the rules changed: what each waits for may differ. */
  async replanQueue(manager: EntityManager, tenant: string): Promise<void> {
    const queued = await manager.find(QueuedTicket, {
      where: { tenant },
      lock: { mode: 'pessimistic_write' },
    });
    for (const entry of queued) {
      const ticket = await manager.findOneBy(RoutingTicket, { tenant, ticketId: entry.ticketId });
      if (!ticket) continue;
      const plan = await this.planner.plan(manager, ticket);
      await manager.update(QueuedTicket, { tenant, ticketId: entry.ticketId }, this.queueFields(plan));
    }
  }

  /** A ticket's priority (or other attributes) changed: a queued ticket moves to its new place. */
  async requeue(manager: EntityManager, ticket: RoutingTicket): Promise<void> {
    const queued = await manager.findOneBy(QueuedTicket, {
      tenant: ticket.tenant,
      ticketId: ticket.ticketId,
    });
    if (!queued) return;
    const plan = await this.planner.plan(manager, ticket);
    await manager.update(
      QueuedTicket,
      { tenant: ticket.tenant, ticketId: ticket.ticketId },
      {
        ...this.queueFields(plan),
        category: ticket.category,
        tags: ticket.tags,
        language: ticket.language,
      },
    );
  }

  private async assign(
    manager: EntityManager,
    ticket: RoutingTicket,
    plan: RoutingPlan,
    agent: LockedAgent,
    decision: RoutingDecision,
    cause: ChangeCause,
    previous?: Assignment,
    passedOn: PassedOn = { count: 0, from: [] },
  ): Promise<Date> {
    const now = new Date();
    const existing =
      previous ?? (await manager.findOneBy(Assignment, { tenant: ticket.tenant, ticketId: ticket.ticketId }));
    const epoch = (existing?.epoch ?? 0) + 1;
    // A ticket already answered needs no overflow; a rule without a window has none.
    const overflowAfterMs = ticket.firstResponseAt ? null : plan.overflowAfterMs;
    const overflowDueAt = overflowAfterMs === null ? null : new Date(now.getTime() + overflowAfterMs);
    await manager.query(
      'UPDATE agents SET active_count = active_count + 1, last_assigned_at = $2 WHERE id = $1',
      [agent.id, now],
    );
    const reason = `least-loaded: ${agent.activeCount} of ${agent.capacity} in use${plan.rule ? `, rule ${plan.rule.id}` : ''}`;
    await manager.upsert(
      Assignment,
      {
        tenant: ticket.tenant,
        ticketId: ticket.ticketId,
        agentId: agent.id,
        teamId: agent.teamId,
        state: 'active',
        ruleId: plan.rule?.id ?? null,
        reason,
        assignedAt: now,
        releasedAt: null,
        epoch,
        respondedAt: ticket.firstResponseAt,
        overflowAfterMs,
        overflowDueAt,
        overflowCount: passedOn.count,
        overflowedFrom: passedOn.from,
        overflowStoppedAt: null,
        decision,
      },
      ['tenant', 'ticketId'],
    );
    if (overflowDueAt) {
      await this.timers.arm(manager, [
        { data: { tenant: ticket.tenant, ticketId: ticket.ticketId, epoch }, at: overflowDueAt },
      ]);
    }
    // A reassignment is announced as ticket.reassigned by the caller, with the reason.
    if (!previous) {
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
            teamLead: await this.teamLeadOf(manager, agent),
            decision,
            assignedAt: now.toISOString(),
          },
          eventMeta(ROUTING_SOURCE, ticket.ticketId, ticket.tenant, cause),
        ),
      );
      this.outcomes.inc({ outcome: 'assigned' });
    }
    this.logger.log({ msg: 'Ticket assigned', ticketId: ticket.ticketId, agentId: agent.id, epoch });
    return now;
  }

  /**
   * The ticket stays with its assignee: no timer is armed again, so nothing repeats, and
   * `ticket.overflow.stopped` tells the team lead in the same transaction. A second firing of the
   * same timer finds no due time and is stale, so this runs once per assignment.
   */
  private async stopOverflow(
    manager: EntityManager,
    assignment: Assignment,
    reason: OverflowStopReason,
  ): Promise<OverflowOutcome> {
    const { tenant, ticketId } = assignment;
    const stoppedAt = new Date();
    await manager.update(
      Assignment,
      { tenant, ticketId },
      { overflowDueAt: null, overflowStoppedAt: stoppedAt },
    );
    await this.outbox.append(
      manager,
      buildEvent(
        'ticket.overflow.stopped',
        {
          ticketId,
          agentId: assignment.agentId,
          teamId: assignment.teamId,
          teamLead: await this.teamLeadOf(manager, assignment),
          overflows: assignment.overflowCount,
          reason,
          epoch: assignment.epoch,
          stoppedAt: stoppedAt.toISOString(),
        },
        eventMeta(ROUTING_SOURCE, ticketId, tenant, { kind: 'job' }),
      ),
    );
    const outcome = STOP_OUTCOMES[reason];
    this.outcomes.inc({ outcome: `overflow_${outcome}` });
    this.logger.warn({
      msg: 'Overflow stopped; the ticket stays with its assignee',
      ticketId,
      agentId: assignment.agentId,
      overflowCount: assignment.overflowCount,
      reason,
    });
    return outcome;
  }

  private async teamLeadOf(manager: EntityManager, agent: Pick<Agent, 'teamId'>) {
    const team = agent.teamId ? await manager.findOneBy(Team, { id: agent.teamId }) : null;
    const lead = team?.leadAgentId ? await manager.findOneBy(Agent, { id: team.leadAgentId }) : null;
    return lead && { agentId: lead.id, name: lead.name, email: lead.email };
  }

  private async enqueue(
    manager: EntityManager,
    ticket: RoutingTicket,
    plan: RoutingPlan,
    decision: RoutingDecision,
    cause: ChangeCause,
  ): Promise<void> {
    const now = new Date();
    await manager.insert(QueuedTicket, {
      tenant: ticket.tenant,
      ticketId: ticket.ticketId,
      channel: ticket.channel,
      category: ticket.category,
      tags: ticket.tags,
      language: ticket.language,
      queuedAt: now,
      ...this.queueFields(plan),
    });
    await this.outbox.append(
      manager,
      buildEvent(
        'ticket.queued',
        {
          ticketId: ticket.ticketId,
          reason: 'no online agent with free capacity and the required skills',
          decision,
          queuedAt: now.toISOString(),
        },
        eventMeta(ROUTING_SOURCE, ticket.ticketId, ticket.tenant, cause),
      ),
    );
    this.outcomes.inc({ outcome: 'queued' });
  }

  private queueFields(plan: RoutingPlan) {
    return {
      priority: plan.priority,
      priorityRank: PRIORITY_RANK[plan.priority],
      teamId: plan.teamId,
      requiredSkills: plan.requiredSkills,
      ruleId: plan.rule?.id ?? null,
    };
  }

  private lockActive(manager: EntityManager, tenant: string, ticketId: string): Promise<Assignment | null> {
    return manager.findOne(Assignment, {
      where: { tenant, ticketId, state: 'active' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Ends an active assignment and gives its slot back; the overflow timer, if any, goes with it. */
  private async endAssignment(manager: EntityManager, assignment: Assignment): Promise<void> {
    await manager.update(
      Assignment,
      { tenant: assignment.tenant, ticketId: assignment.ticketId },
      { state: 'released', releasedAt: new Date(), overflowDueAt: null },
    );
    await manager.query('UPDATE agents SET active_count = active_count - 1 WHERE id = $1', [
      assignment.agentId,
    ]);
    if (assignment.overflowDueAt) {
      const { tenant, ticketId, epoch } = assignment;
      await this.timers.disarm(manager, [{ tenant, ticketId, epoch }]);
    }
  }
}
