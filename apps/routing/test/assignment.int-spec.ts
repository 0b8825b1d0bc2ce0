import { type Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type EventEnvelope, Topic } from '@app/contracts';
import { bearer, waitFor } from '@app/testing';
import { type WakeUpRound } from '@app/timers';
import { AssignmentService } from '../src/assignment/assignment.service';
import { OverflowTimers, RoutingQueue } from '../src/assignment/overflow-timers';
import { QueueDrainer } from '../src/assignment/queue-drainer';
import { backfillOverflowTimers } from '../src/database/migrations/1765300000000-overflow-timers';
import { RoutingHarness } from './support/routing-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Who gets a ticket, when, and why, over real Postgres, Redis and Kafka. */
describe('assignment decisions', () => {
  let routing: RoutingHarness;

  beforeAll(async () => {
    routing = await RoutingHarness.start();
  });

  afterAll(() => routing?.stop());

  beforeEach(async () => {
    // Each scenario starts with no agents, rules, queue or timers in tenant `default`.
    await routing.db.query(
      `DELETE FROM routing_queue; DELETE FROM assignments; DELETE FROM agents; DELETE FROM routing_rules;
       DELETE FROM teams; DELETE FROM routing_tickets; DELETE FROM timers`,
    );
  });

  afterEach(() => jest.restoreAllMocks());

  const decided = (ticketId: string) =>
    waitFor(() => routing.eventsOf(ticketId)[0], { description: `a decision on ${ticketId}` });

  /** The overflow timers armed in Postgres for a ticket: every one that may still fire. */
  async function armedTimers(ticketId: string): Promise<Array<{ id: string; dueAt: string }>> {
    const rows = await routing.db.query<Array<{ id: string; due_at: Date }>>(
      `SELECT id, due_at FROM timers WHERE queue = $1 AND data->>'ticketId' = $2 ORDER BY id`,
      [RoutingQueue.Timers, ticketId],
    );
    return rows.map((row) => ({ id: row.id, dueAt: row.due_at.toISOString() }));
  }

  /** A wake-up waits in Redis: the one arming the timer just added after its commit. */
  const wakeUpWaiting = () =>
    waitFor(async () => (await routing.app.get(OverflowTimers).wakeUps.queue.getDelayedCount()) > 0, {
      description: 'a wake-up in Redis',
    });

  /** The epochs whose overflow timer fired for a ticket, once per firing, in order. */
  function recordFirings(): (ticketId: string) => number[] {
    const spy = jest.spyOn(routing.app.get(AssignmentService), 'overflow');
    return (ticketId) => spy.mock.calls.filter((call) => call[2] === ticketId).map((call) => call[3]);
  }

  /** Records the timer scheduler's rounds from now on, as its periodic task runs them. */
  function recordRounds(): () => Promise<WakeUpRound[]> {
    const spy = jest.spyOn(routing.app.get(OverflowTimers), 'scheduleWakeUps');
    return () => Promise.all(spy.mock.results.map((result) => result.value as Promise<WakeUpRound>));
  }

  /** Everything routing keeps in Redis under `match` goes, as FLUSHALL would; other files share the server. */
  async function forgetRedis(match = '*'): Promise<void> {
    const redis = new Redis(routing.sandbox.env.REDIS_URL);
    try {
      const keys = await redis.keys(`${routing.sandbox.env.REDIS_KEY_PREFIX}:${match}`);
      expect(keys.length).toBeGreaterThan(0);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    } finally {
      redis.disconnect();
    }
  }

  it('gives a Turkish ticket to the agent with lang:tr, and explains why the others were not chosen', async () => {
    const english = await routing.agent({ name: 'Ada', skills: ['lang:en'] });
    const turkish = await routing.agent({ name: 'Tuna', skills: ['lang:tr', 'lang:en'], capacity: 3 });
    const away = await routing.agent({ name: 'Ayla', skills: ['lang:tr'], status: 'away' });
    const ticketId = await routing.ticket({ language: 'tr' });

    const event = (await decided(ticketId)) as EventEnvelope<'ticket.assigned'>;
    expect(event).toMatchObject({ type: 'ticket.assigned', data: { agentId: turkish } });
    expect(event.data.decision).toMatchObject({
      rule: null,
      requiredSkills: ['lang:tr'],
      languageRequired: true,
      verdicts: { chosen: 1, missing_skills: 1, away: 1 },
    });
    expect(event.data.decision?.candidates).toEqual([
      { agentId: turkish, verdict: 'chosen', activeCount: 0, capacity: 3 },
      {
        agentId: english,
        verdict: 'missing_skills',
        activeCount: 0,
        capacity: 5,
        missingSkills: ['lang:tr'],
      },
      { agentId: away, verdict: 'away', activeCount: 0, capacity: 5 },
    ]);
    const shown = await routing.assignment(ticketId);
    expect(shown.body).toMatchObject({ state: 'active', agentId: turkish, decision: event.data.decision });

    // Nobody speaks Swahili: the language is then no requirement and the ticket is not stranded.
    const swahili = await routing.ticket({ language: 'sw' });
    const other = (await decided(swahili)) as EventEnvelope<'ticket.assigned'>;
    expect(other.data.decision).toMatchObject({ requiredSkills: [], languageRequired: false });
    expect(other.data.agentId).toBe(english);
  });

  it('spreads a sequence least-loaded first, ties to the longest idle (round robin)', async () => {
    const agents = [
      await routing.agent({ name: 'A', capacity: 10 }),
      await routing.agent({ name: 'B', capacity: 10 }),
      await routing.agent({ name: 'C', capacity: 10 }),
    ];
    const owners: string[] = [];
    const tickets: string[] = [];
    for (let i = 0; i < 7; i++) {
      const ticketId = await routing.ticket();
      tickets.push(ticketId);
      owners.push(((await decided(ticketId)) as EventEnvelope<'ticket.assigned'>).data.agentId);
    }
    // Each agent once before anyone twice, in the same rotation every round.
    expect(new Set(owners.slice(0, 3))).toEqual(new Set(agents));
    expect(owners.slice(3, 6)).toEqual(owners.slice(0, 3));
    expect(owners[6]).toBe(owners[0]);

    // Solving one of the second agent's tickets makes them the least loaded: the next is theirs.
    await routing.status(tickets[1], 'new', 'solved');
    await waitFor(async () => (await routing.assignment(tickets[1])).body.state === 'released');
    const next = await routing.ticket();
    expect(((await decided(next)) as EventEnvelope<'ticket.assigned'>).data.agentId).toBe(owners[1]);
  });

  it('follows the first matching rule: team, required skills, and the priority it queues with', async () => {
    const lead = await routing.agent({ name: 'Lead', skills: ['billing'], status: 'offline' });
    const team = await routing.team({ name: 'Billing', leadAgentId: lead });
    const generalist = await routing.agent({ name: 'Gen', skills: ['billing'] });
    const billing = await routing.agent({ name: 'Bill', skills: ['billing'], teamId: team, capacity: 1 });
    const ruleId = await routing.rule({
      match: { tags: ['invoice'] },
      assign: { teamId: team, requiredSkills: ['billing'], priority: 'urgent' },
    });
    const first = await routing.ticket({ tags: ['invoice'], priority: 'low' });
    const event = (await decided(first)) as EventEnvelope<'ticket.assigned'>;
    expect(event.data).toMatchObject({ agentId: billing, teamId: team });
    expect(event.data.decision).toMatchObject({
      rule: { id: ruleId },
      teamId: team,
      requiredSkills: ['billing'],
    });
    expect(event.data.decision?.verdicts).toMatchObject({ chosen: 1, not_in_team: 1, offline: 1 });

    // Bill is full: the next invoice ticket waits for the team, not for the generalist, as urgent.
    const second = await routing.ticket({ tags: ['invoice'], priority: 'low' });
    expect((await decided(second)).type).toBe('ticket.queued');
    const queued = await routing.assignment(second);
    expect(queued.body).toMatchObject({
      state: 'queued',
      priority: 'urgent',
      position: 1,
      waitsFor: { teamId: team, requiredSkills: ['billing'], ruleId },
    });
    expect(routing.ownerOf(second)).toBeUndefined();
    expect(event.data.decision?.candidates).toContainEqual({
      agentId: generalist,
      verdict: 'not_in_team',
      activeCount: 0,
      capacity: 5,
    });
  });

  it("routes on the customer tier in the ticket's metadata", async () => {
    const vipTeam = await routing.team({ name: 'VIP' });
    const vipAgent = await routing.agent({ name: 'Vip', teamId: vipTeam });
    const vipRule = await routing.rule({
      match: { tags: ['tiered'], metadata: { customerTier: ['gold', 'platinum'] } },
      assign: { teamId: vipTeam },
    });
    const gold = await routing.ticket({ tags: ['tiered'], metadata: { customerTier: 'gold' } });
    const goldEvent = (await decided(gold)) as EventEnvelope<'ticket.assigned'>;
    expect(goldEvent.data).toMatchObject({ agentId: vipAgent, teamId: vipTeam });
    expect(goldEvent.data.decision?.rule).toMatchObject({ id: vipRule });
    const standard = await routing.ticket({ tags: ['tiered'], metadata: { customerTier: 'standard' } });
    const standardEvent = (await decided(standard)) as EventEnvelope<'ticket.assigned' | 'ticket.queued'>;
    expect(standardEvent.data.decision?.rule?.id).not.toBe(vipRule);
  });

  it('assigns queued tickets in priority order, oldest first, as capacity appears', async () => {
    const agent = await routing.agent({ name: 'Solo', status: 'offline', capacity: 1 });
    const order = ['low', 'urgent', 'normal', 'high', 'urgent'] as const;
    const tickets: string[] = [];
    for (const priority of order) {
      const ticketId = await routing.ticket({ priority });
      tickets.push(ticketId);
      expect((await decided(ticketId)).type).toBe('ticket.queued');
    }
    const expected = [tickets[1], tickets[4], tickets[3], tickets[2], tickets[0]];

    // Coming online takes the first; each capacity increase takes the next.
    await routing.patchAgent(agent, { status: 'online' });
    const assignedOrder: string[] = [];
    for (let capacity = 1; capacity <= 5; capacity++) {
      if (capacity > 1) await routing.patchAgent(agent, { capacity });
      const next = expected[capacity - 1];
      await waitFor(() => routing.ownerOf(next) === agent, { description: `ticket ${capacity} assigned` });
      assignedOrder.push(next);
      const stillQueued = expected.slice(capacity).filter((t) => routing.ownerOf(t));
      expect(stillQueued).toEqual([]);
    }
    expect(assignedOrder).toEqual(expected);
  });

  it('reassigns after a PT2S no-response window and names the team lead; a reply in time cancels it', async () => {
    const lead = await routing.agent({ name: 'Lead', status: 'away' });
    const team = await routing.team({ leadAgentId: lead });
    const first = await routing.agent({ name: 'First', teamId: team });
    const second = await routing.agent({ name: 'Second', teamId: team, capacity: 4 });
    await routing.rule({ match: {}, assign: { teamId: team, overflowAfter: 'PT2S' } });

    const silent = await routing.ticket();
    const firstOwner = ((await decided(silent)) as EventEnvelope<'ticket.assigned'>).data.agentId;
    expect([first, second]).toContain(firstOwner);
    const reassigned = await waitFor(
      () =>
        routing
          .eventsOf(silent)
          .find((e): e is EventEnvelope<'ticket.reassigned'> => e.type === 'ticket.reassigned'),
      { description: 'the overflow reassignment', timeoutMs: 15_000 },
    );
    expect(reassigned.data).toMatchObject({
      fromAgentId: firstOwner,
      agentId: firstOwner === first ? second : first,
      reason: 'no_first_response',
      teamLead: { agentId: lead, name: 'Lead' },
      epoch: 2,
    });
    expect(Date.parse(reassigned.time) - Date.parse(routing.eventsOf(silent)[0].time)).toBeGreaterThanOrEqual(
      2_000,
    );
    const [load] = await routing.db.query(
      `SELECT sum(active_count)::int AS active FROM agents WHERE id = ANY($1::uuid[])`,
      [[first, second]],
    );
    expect(load.active).toBe(1);

    const answered = await routing.ticket();
    const owner = ((await decided(answered)) as EventEnvelope<'ticket.assigned'>).data.agentId;
    // Armed with the assignment, in its transaction, due when the assignment says.
    const { overflowDueAt } = (await routing.assignment(answered)).body as { overflowDueAt: string };
    expect(await armedTimers(answered)).toEqual([{ id: `overflow-${answered}-1`, dueAt: overflowDueAt }]);
    const firings = recordFirings();
    await routing.firstResponse(answered, owner);
    await waitFor(async () => (await routing.assignment(answered)).body.respondedAt !== null);
    // Disarmed in the reply's transaction: nothing is left to fire.
    expect(await armedTimers(answered)).toEqual([]);
    await sleep(3_000);
    expect(routing.eventsOf(answered).map((e) => e.type)).toEqual(['ticket.assigned']);
    expect((await routing.assignment(answered)).body).toMatchObject({ agentId: owner, overflowDueAt: null });
    expect(firings(answered)).toEqual([]);
  });

  const reassignmentsOf = (ticketId: string) =>
    routing
      .eventsOf(ticketId)
      .filter((e): e is EventEnvelope<'ticket.reassigned'> => e.type === 'ticket.reassigned');
  const stopsOf = (ticketId: string) =>
    routing
      .eventsOf(ticketId)
      .filter((e): e is EventEnvelope<'ticket.overflow.stopped'> => e.type === 'ticket.overflow.stopped');

  it('passes an unanswered ticket on once between two agents, never back, however many windows go by', async () => {
    const lead = await routing.agent({ name: 'Lead', status: 'away' });
    const team = await routing.team({ leadAgentId: lead });
    const first = await routing.agent({ name: 'First', teamId: team });
    const second = await routing.agent({ name: 'Second', teamId: team });
    await routing.rule({ match: {}, assign: { teamId: team, overflowAfter: 'PT1S' } });

    const ticketId = await routing.ticket();
    const firstOwner = ((await decided(ticketId)) as EventEnvelope<'ticket.assigned'>).data.agentId;
    const other = firstOwner === first ? second : first;
    await waitFor(async () => (await routing.assignment(ticketId)).body.overflowStoppedAt !== null, {
      description: 'overflow to stop',
      timeoutMs: 15_000,
    });
    // Six more windows: a ping-pong would have passed it back and forth several times by now.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const passes = reassignmentsOf(ticketId);
    expect(passes.map((e) => [e.data.fromAgentId, e.data.agentId])).toEqual([[firstOwner, other]]);
    expect((await routing.assignment(ticketId)).body).toMatchObject({
      state: 'active',
      agentId: other,
      epoch: 2,
      overflowCount: 1,
      overflowedFrom: [firstOwner],
      overflowDueAt: null,
    });
    expect(await armedTimers(ticketId)).toEqual([]);
    // Nobody it was not passed on from qualifies: announced once, naming the lead, however many windows.
    expect(stopsOf(ticketId).map((e) => e.data)).toEqual([
      {
        ticketId,
        agentId: other,
        teamId: team,
        teamLead: { agentId: lead, name: 'Lead', email: expect.stringContaining('@agents.example.com') },
        overflows: 1,
        reason: 'no_other_agent',
        epoch: 2,
        stoppedAt: (await routing.assignment(ticketId)).body.overflowStoppedAt,
      },
    ]);
    expect(routing.eventsOf(ticketId).map((e) => e.type)).toEqual([
      'ticket.assigned',
      'ticket.reassigned',
      'ticket.overflow.stopped',
    ]);
  });

  it('stops at the rule’s maxOverflows with more agents free, and rejects a bad bound by name', async () => {
    const agents = await Promise.all(['A', 'B', 'C', 'D'].map((name) => routing.agent({ name })));
    await routing.rule({ match: {}, assign: { overflowAfter: 'PT1S', maxOverflows: 2 } });
    const ticketId = await routing.ticket();
    await decided(ticketId);
    await waitFor(async () => (await routing.assignment(ticketId)).body.overflowStoppedAt !== null, {
      description: 'overflow to stop at the bound',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const holders = [
      routing.eventsOf(ticketId)[0].data as { agentId: string },
      ...reassignmentsOf(ticketId).map((e) => e.data),
    ].map((data) => data.agentId);
    expect(holders).toHaveLength(3);
    expect(new Set(holders).size).toBe(3);
    expect(agents).toEqual(expect.arrayContaining(holders));
    const shown = (await routing.assignment(ticketId)).body;
    expect(shown).toMatchObject({ epoch: 3, overflowCount: 2, agentId: holders[2], overflowDueAt: null });
    // The bound, with a fourth agent still free: announced once, after the second hand-over.
    expect(stopsOf(ticketId).map((e) => e.data)).toEqual([
      expect.objectContaining({
        agentId: holders[2],
        teamId: null,
        teamLead: null,
        overflows: 2,
        reason: 'limit_reached',
        epoch: 3,
      }),
    ]);
    expect(routing.eventsOf(ticketId).at(-1)?.type).toBe('ticket.overflow.stopped');

    for (const maxOverflows of [-1, 21, 1.5, 'two']) {
      const bad = await routing.http
        .post('/v1/routing-rules')
        .set('authorization', bearer('admin'))
        .send({ match: {}, assign: { overflowAfter: 'PT1S', maxOverflows } })
        .expect(400);
      expect(bad.body.code).toBe('validation_failed');
      expect(bad.body.details.map((d: { field: string }) => d.field)).toContain('assign.maxOverflows');
    }
  });

  it('announces the stop once for a ticket never passed on: maxOverflows 0, or nobody else at the first timer', async () => {
    const lead = await routing.agent({ name: 'Lead', status: 'away' });
    const team = await routing.team({ leadAgentId: lead });
    const pair = [
      await routing.agent({ name: 'One', teamId: team }),
      await routing.agent({ name: 'Two', teamId: team }),
    ];
    const soloLead = await routing.agent({ name: 'Solo Lead', status: 'away' });
    const soloTeam = await routing.team({ leadAgentId: soloLead });
    const loner = await routing.agent({ name: 'Loner', teamId: soloTeam });
    await routing.rule({
      position: 1,
      match: { tags: ['never'] },
      assign: { teamId: team, overflowAfter: 'PT1S', maxOverflows: 0 },
    });
    await routing.rule({
      position: 2,
      match: { tags: ['alone'] },
      assign: { teamId: soloTeam, overflowAfter: 'PT1S' },
    });

    // The other agent of the pair is free, but the rule allows no hand-over at all.
    const bounded = await routing.ticket({ tags: ['never'] });
    // The team has nobody else: the first timer finds no one to pass it to.
    const alone = await routing.ticket({ tags: ['alone'] });
    await waitFor(() => stopsOf(bounded).length > 0 && stopsOf(alone).length > 0, {
      description: 'both stops announced',
      timeoutMs: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    const boundedOwner = routing.ownerOf(bounded);
    expect(pair).toContain(boundedOwner);
    expect(stopsOf(bounded).map((e) => e.data)).toEqual([
      expect.objectContaining({
        agentId: boundedOwner,
        teamId: team,
        teamLead: { agentId: lead, name: 'Lead', email: expect.any(String) },
        overflows: 0,
        reason: 'limit_reached',
        epoch: 1,
      }),
    ]);
    expect(stopsOf(alone).map((e) => e.data)).toEqual([
      expect.objectContaining({
        agentId: loner,
        teamId: soloTeam,
        teamLead: { agentId: soloLead, name: 'Solo Lead', email: expect.any(String) },
        overflows: 0,
        reason: 'no_other_agent',
        epoch: 1,
      }),
    ]);
    for (const ticketId of [bounded, alone]) {
      expect(routing.eventsOf(ticketId).map((e) => e.type)).toEqual([
        'ticket.assigned',
        'ticket.overflow.stopped',
      ]);
      expect((await routing.assignment(ticketId)).body).toMatchObject({ epoch: 1, overflowDueAt: null });
    }
  });

  /** Two agents, one hand-over allowed: the first timer passes the ticket on, the second stops it. */
  async function passedOnOnceThenStopped(ticketId: string, firings: (ticketId: string) => number[]) {
    await waitFor(() => stopsOf(ticketId).length > 0, { description: 'overflow to stop', timeoutMs: 20_000 });
    await sleep(1_500);
    const events = routing.eventsOf(ticketId);
    expect(events.map((e) => e.type)).toEqual([
      'ticket.assigned',
      'ticket.reassigned',
      'ticket.overflow.stopped',
    ]);
    // Each epoch's timer fired exactly once, never before its window was over.
    expect(firings(ticketId)).toEqual([1, 2]);
    expect(Date.parse(events[1].time) - Date.parse(events[0].time)).toBeGreaterThanOrEqual(2_000);
    expect(await armedTimers(ticketId)).toEqual([]);
    return events;
  }

  it('still overflows on time, once, after Redis lost every key of the service', async () => {
    await routing.agent({ name: 'One' });
    await routing.agent({ name: 'Two' });
    await routing.rule({ match: {}, assign: { overflowAfter: 'PT2S', maxOverflows: 1 } });
    const firings = recordFirings();
    const ticketId = await routing.ticket();
    await decided(ticketId);
    await wakeUpWaiting();
    const rounds = recordRounds();
    await forgetRedis();

    const events = await passedOnOnceThenStopped(ticketId, firings);
    // The lost marker told the next scheduler round to arm the wake-ups again from Postgres.
    expect((await rounds()).some((round) => round.kind === 'refill')).toBe(true);
    // On time: the refill comes within a round, well before the overdue check would step in.
    expect(Date.parse(events[1].time) - Date.parse(events[0].time)).toBeLessThan(2_000 + 4_000);
  });

  it('fires an overdue overflow once when only its wake-up was lost', async () => {
    await routing.agent({ name: 'One' });
    await routing.agent({ name: 'Two' });
    await routing.rule({ match: {}, assign: { overflowAfter: 'PT2S', maxOverflows: 1 } });
    const firings = recordFirings();
    const ticketId = await routing.ticket();
    await decided(ticketId);
    const { overflowDueAt } = (await routing.assignment(ticketId)).body as { overflowDueAt: string };
    await wakeUpWaiting();
    // The wake-ups go, the marker stays: only the overdue check can notice.
    await forgetRedis(`${RoutingQueue.Timers}:*`);
    const rounds = recordRounds();

    const events = await passedOnOnceThenStopped(ticketId, firings);
    expect((await rounds()).some((round) => round.overdue > 0)).toBe(true);
    const grace = routing.app.get(OverflowTimers).options.overdueGraceMs;
    expect(Date.parse(events[1].time) - Date.parse(overflowDueAt)).toBeGreaterThanOrEqual(grace);
  });

  it('arms the overflow of an assignment from before timers were kept in Postgres, and fires it once', async () => {
    await routing.agent({ name: 'One' });
    await routing.agent({ name: 'Two' });
    await routing.rule({ match: {}, assign: { overflowAfter: 'PT2S', maxOverflows: 1 } });
    const firings = recordFirings();
    const answered = await routing.ticket();
    const owner = ((await decided(answered)) as EventEnvelope<'ticket.assigned'>).data.agentId;
    await routing.firstResponse(answered, owner);
    await waitFor(async () => (await routing.assignment(answered)).body.respondedAt !== null);
    const ticketId = await routing.ticket();
    await decided(ticketId);
    const { overflowDueAt } = (await routing.assignment(ticketId)).body as { overflowDueAt: string };

    // As an earlier release left it: the deadline on the row, no timer in Postgres. The migration
    // arms it; the release's first start finds no marker in Redis and arms its wake-up.
    await routing.db.transaction(async (manager) => {
      await manager.query('DELETE FROM timers');
      await backfillOverflowTimers(manager);
    });
    expect(await armedTimers(ticketId)).toEqual([{ id: `overflow-${ticketId}-1`, dueAt: overflowDueAt }]);
    expect(await armedTimers(answered)).toEqual([]);
    await forgetRedis();

    await passedOnOnceThenStopped(ticketId, firings);
    expect(firings(answered)).toEqual([]);
  });

  it('places a queued ticket that a race left waiting, and says so only when it placed one', async () => {
    const agent = await routing.agent({ name: 'Late', status: 'offline' });
    const ticketId = await routing.ticket();
    expect((await decided(ticketId)).type).toBe('ticket.queued');
    // A queue entry whose ticket routing does not know: every round finds the agent, none places it.
    await routing.db.query(
      `INSERT INTO routing_queue (tenant, ticket_id, priority, priority_rank, channel, queued_at)
       VALUES ('default', gen_random_uuid(), 'normal', 2, 'email', now())`,
    );
    const drainer = routing.app.get(QueueDrainer);
    const warn = jest.spyOn((drainer as unknown as { logger: Logger }).logger, 'warn');
    const rounds = jest.spyOn(drainer, 'runOnce');

    // As a race would leave it: the agent has room, and nothing placed the ticket when it came.
    await routing.db.query(`UPDATE agents SET status = 'online' WHERE id = $1`, [agent]);
    await waitFor(() => routing.ownerOf(ticketId) === agent, { description: 'the round placing the ticket' });
    const placedIn = rounds.mock.calls.length;
    await waitFor(() => rounds.mock.calls.length >= placedIn + 3, { description: 'three more rounds' });

    const results = await Promise.all(
      rounds.mock.results.map((result) => result.value as Promise<{ placed: number }>),
    );
    expect(results.map((result) => result.placed).filter((placed) => placed > 0)).toEqual([1]);
    expect(warn.mock.calls).toEqual([[expect.objectContaining({ placed: 1 })]]);
  });

  it('hands an offline agent’s unanswered tickets to others and keeps the answered ones with them', async () => {
    const leaving = await routing.agent({ name: 'Leaving', capacity: 2 });
    const answered = await routing.ticket();
    const unanswered = await routing.ticket();
    await waitFor(() => routing.ownerOf(answered) === leaving && routing.ownerOf(unanswered) === leaving);
    await routing.firstResponse(answered, leaving);
    await waitFor(async () => (await routing.assignment(answered)).body.respondedAt !== null);
    const staying = await routing.agent({ name: 'Staying', capacity: 2, status: 'offline' });
    await routing.patchAgent(staying, { status: 'online' });

    const offline = await routing.patchAgent(leaving, { status: 'offline' });
    expect(offline.body.activeCount).toBe(1);
    await waitFor(() => routing.ownerOf(unanswered) === staying, {
      description: 'the released ticket re-routed',
    });
    expect(routing.eventsOf(unanswered).map((e) => e.type)).toEqual([
      'ticket.assigned',
      'ticket.unassigned',
      'ticket.assigned',
    ]);
    expect(routing.ownerOf(answered)).toBe(leaving);
  });

  it('gives a reopened ticket back to its previous agent when they have room', async () => {
    const first = await routing.agent({ name: 'First' });
    const ticketId = await routing.ticket();
    await waitFor(() => routing.ownerOf(ticketId) === first);
    await routing.agent({ name: 'Fresh' });
    await routing.status(ticketId, 'new', 'solved');
    await waitFor(async () => (await routing.assignment(ticketId)).body.state === 'released');
    await routing.status(ticketId, 'solved', 'open');
    await waitFor(() => routing.eventsOf(ticketId).filter((e) => e.type === 'ticket.assigned').length === 2);
    expect(routing.ownerOf(ticketId)).toBe(first);
    expect((await routing.assignment(ticketId)).body.epoch).toBe(2);
  });

  it('audits every admin change with who, when, before and after', async () => {
    const agent = await routing.agent({ name: 'Audited', capacity: 2 });
    await routing.patchAgent(agent, { capacity: 4, skills: ['vip'] });
    const rule = await routing.rule({ match: { priority: 'urgent' }, assign: { requiredSkills: ['vip'] } });
    await routing.http.delete(`/v1/routing-rules/${rule}`).set('authorization', bearer('admin')).expect(204);

    const agentTrail = await routing.http
      .get(`/v1/audit?entityType=agent&entityId=${agent}`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(agentTrail.body.map((e: { action: string }) => e.action)).toEqual(['updated', 'created']);
    expect(agentTrail.body[0]).toMatchObject({
      actor: expect.stringMatching(/^api-key:[0-9a-f]{8}$/),
      before: { capacity: 2, skills: [] },
      after: { capacity: 4, skills: ['vip'] },
    });
    const ruleTrail = await routing.http
      .get(`/v1/audit?entityType=routing_rule&entityId=${rule}`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(ruleTrail.body.map((e: { action: string }) => e.action)).toEqual(['deleted', 'created']);

    // The directory other services keep follows each change of the agent, removal included.
    await routing.http
      .patch(`/v1/agents/${agent}`)
      .set('authorization', bearer('admin'))
      .send({ status: 'offline' });
    await routing.http.delete(`/v1/agents/${agent}`).set('authorization', bearer('admin')).expect(204);
    const announced = await waitFor(() => {
      const mine = routing.probe
        .on(routing.topic(Topic.AgentEvents))
        .map((m) => m.json<EventEnvelope<'agent.changed'>>())
        .filter((e) => e.data.agentId === agent);
      return mine.length === 4 && mine;
    });
    expect(announced.map((e) => [e.data.status, e.data.removed])).toEqual([
      ['online', false],
      ['online', false],
      ['offline', false],
      ['offline', true],
    ]);
    expect(announced[0].data).toMatchObject({ name: 'Audited', teamId: null });
    await routing.http.get('/v1/audit').set('authorization', bearer('agent')).expect(403);
    const foreign = await routing.http
      .get('/v1/audit')
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(200);
    expect(foreign.body).toEqual([]);
  });
});
