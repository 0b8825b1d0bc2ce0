import { type INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  type AnyEvent,
  buildEvent,
  type EventEnvelope,
  serializeEvent,
  type TicketMetadata,
  type TicketStatus,
  Topic,
} from '@app/contracts';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  startServiceApp,
  type TestSandbox,
  waitFor,
  ticketCreatedEvent,
} from '@app/testing';
import { loadSlaConfig } from '../src/config/sla.config';
import { SlaModule } from '../src/sla.module';
import { type WakeUpRound } from '@app/timers';
import { SlaTimers } from '../src/clocks/sla-timers';

type SlaEvent = Extract<AnyEvent, { type: `sla.${string}` }>;
const INTAKE = 'ticketflow/intake';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pauses, warnings, escalation, resolution races and lost timers, over real Postgres, Redis and Kafka. */
describe('SLA clock lifecycle', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  const probe = new KafkaProbe();
  const topic = (logical: string) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;

  const slaEvents = (ticketId: string): SlaEvent[] =>
    probe
      .on(topic(Topic.SlaEvents))
      .map((m) => m.json<SlaEvent>())
      .filter((e) => e.data.ticketId === ticketId);
  const ofType = <T extends SlaEvent['type']>(ticketId: string, type: T) =>
    slaEvents(ticketId).filter((e): e is Extract<SlaEvent, { type: T }> => e.type === type);

  const publish = (event: AnyEvent) =>
    probe.publish(topic(Topic.TicketEvents), serializeEvent(event), event.subject);

  function ticketCreated(
    tag: string,
    overrides: { priority?: 'low' | 'high'; createdAt?: string; metadata?: TicketMetadata } = {},
  ) {
    return ticketCreatedEvent({ ...overrides, tags: [tag] });
  }

  const statusChanged = (ticketId: string, from: TicketStatus, to: TicketStatus, at = new Date()) =>
    buildEvent(
      'ticket.status.changed',
      { ticketId, from, to, reason: 'agent', changedAt: at.toISOString() },
      { source: INTAKE, subject: ticketId },
    );

  const message = (
    ticketId: string,
    author: 'agent' | 'customer',
    flags: { first?: boolean; next?: boolean; at?: string } = {},
  ) =>
    buildEvent(
      'ticket.message.added',
      {
        ticketId,
        messageId: randomUUID(),
        author,
        agentId: author === 'agent' ? 'a1' : null,
        internal: false,
        firstResponse: flags.first ?? false,
        nextResponse: flags.next ?? false,
        createdAt: flags.at ?? new Date().toISOString(),
      },
      { source: INTAKE, subject: ticketId },
    );

  async function policy(tag: string, body: Record<string, unknown>) {
    await request(app.getHttpServer() as Server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({ name: `policy ${tag}`, match: { tags: [tag] }, warnAt: [], ...body })
      .expect(201);
  }

  /** Records the timer scheduler's rounds from now on, as its periodic task runs them. */
  function recordRounds(): () => Promise<WakeUpRound[]> {
    const spy = jest.spyOn(app.get(SlaTimers), 'scheduleWakeUps');
    spy.mockClear();
    return () => Promise.all(spy.mock.results.map((result) => result.value as Promise<WakeUpRound>));
  }

  /** Everything this service keeps in Redis goes, as FLUSHALL would; other test files share the server. */
  async function forgetRedis(match = '*'): Promise<void> {
    const redis = new Redis(sandbox.env.REDIS_URL);
    try {
      const keys = await redis.keys(`${sandbox.env.REDIS_KEY_PREFIX}:${match}`);
      expect(keys.length).toBeGreaterThan(0);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    } finally {
      redis.disconnect();
    }
  }

  beforeAll(async () => {
    sandbox = await createSandbox({ SLA_TIMER_ROUND_MS: '500' });
    app = await startServiceApp(SlaModule.forRoot(loadSlaConfig(sandbox.env)));
    await probe.watch([topic(Topic.SlaEvents)]);
    await policy('warn', { targets: { firstResponse: 'PT4S' }, warnAt: [0.5] });
    await policy('pause', { targets: { resolution: 'PT4S' } });
    await policy('escalate', {
      targets: { firstResponse: 'PT1S' },
      escalation: [
        { after: 'PT0S', notify: ['assignee'] },
        { after: 'PT1S', notify: ['team_lead'] },
      ],
    });
    await policy('race', { targets: { resolution: 'PT2S' } });
    await policy('converse', {
      targets: { firstResponse: 'PT1H', nextResponse: 'PT1H', resolution: 'PT1H' },
    });
    // Long enough for 1,000 clocks to start, and be seen starting, before any comes due on a busy machine.
    await policy('flush', { targets: { firstResponse: 'PT20S' } });
    await policy('lost', { targets: { firstResponse: 'PT3S' } });
    await policy('held', { targets: { firstResponse: 'PT2S' } });
    await policy('change', { targets: { firstResponse: 'PT1H' } });
    await policy('report', { targets: { firstResponse: 'P400D' } });
    await policy('tiered', {
      targets: { firstResponse: 'PT1H', byPriority: { urgent: { firstResponse: 'PT10M' } } },
    });
    await policy('report-fast', { targets: { firstResponse: 'PT1M' } });
    // A new policy goes before the existing ones: the general one first, then the gold one ahead of it.
    await policy('tier', { targets: { firstResponse: 'PT2H' } });
    await policy('tier-gold', {
      match: { tags: ['tier'], metadata: { customerTier: ['gold', 'platinum'] } },
      targets: { firstResponse: 'PT15M' },
    });
    await request(app.getHttpServer() as Server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({
        name: 'urgent changes',
        match: { tags: ['change'], priority: 'urgent' },
        warnAt: [],
        targets: { firstResponse: 'PT10M' },
        position: 0,
      })
      .expect(201);
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await sandbox?.dispose();
  });

  it('warns at 0.5 and breaches at 1.0 of a PT4S target, in that order and never early', async () => {
    const ticket = ticketCreated('warn');
    await publish(ticket);
    await waitFor(() => ofType(ticket.data.ticketId, 'sla.breached').length > 0, { timeoutMs: 15_000 });
    const events = slaEvents(ticket.data.ticketId);
    expect(events.map((e) => e.type)).toEqual(['sla.started', 'sla.warning', 'sla.breached']);
    const [started, warning, breached] = events as [
      EventEnvelope<'sla.started'>,
      EventEnvelope<'sla.warning'>,
      EventEnvelope<'sla.breached'>,
    ];
    const start = Date.parse(started.data.startedAt);
    expect(warning.data.fraction).toBe(0.5);
    expect(Date.parse(warning.data.warnedAt)).toBeGreaterThanOrEqual(start + 2_000);
    expect(Date.parse(breached.data.breachedAt)).toBeGreaterThanOrEqual(Date.parse(started.data.dueAt));
  });

  it('shifts the due time by exactly the time the ticket was pending', async () => {
    const ticket = ticketCreated('pause');
    const { ticketId } = ticket.data;
    await publish(ticket);
    const [started] = await waitFor(
      () => ofType(ticketId, 'sla.started').length > 0 && ofType(ticketId, 'sla.started'),
    );
    await publish(statusChanged(ticketId, 'new', 'pending'));
    await waitFor(() => ofType(ticketId, 'sla.paused').length > 0);
    await sleep(3_000);
    await publish(statusChanged(ticketId, 'pending', 'open'));
    const [resumed] = await waitFor(
      () => ofType(ticketId, 'sla.resumed').length > 0 && ofType(ticketId, 'sla.resumed'),
    );
    expect(resumed.data.pausedMs).toBeGreaterThanOrEqual(3_000);
    expect(Date.parse(resumed.data.dueAt)).toBe(Date.parse(started.data.dueAt) + resumed.data.pausedMs);
    const [breached] = await waitFor(
      () => ofType(ticketId, 'sla.breached').length > 0 && ofType(ticketId, 'sla.breached'),
      {
        timeoutMs: 15_000,
      },
    );
    expect(Date.parse(breached.data.breachedAt)).toBeGreaterThanOrEqual(Date.parse(resumed.data.dueAt));
    const view = await request(app.getHttpServer() as Server)
      .get(`/v1/tickets/${ticketId}/sla`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(view.body.clocks[0].pausedSeconds).toBeGreaterThanOrEqual(3);
    expect(view.body.clocks[0].explanation).toMatch(/Paused .* \(pending\) .* Resumed .* after 3 s/);
  });

  it('escalates step by step after the breach, naming whom to tell', async () => {
    const ticket = ticketCreated('escalate');
    const { ticketId } = ticket.data;
    const assignee = randomUUID();
    await publish(ticket);
    await waitFor(() => ofType(ticketId, 'sla.started').length > 0);
    await probe.publish(
      topic(Topic.AssignmentEvents),
      serializeEvent(
        buildEvent(
          'ticket.assigned',
          {
            ticketId,
            agentId: assignee,
            teamId: null,
            agent: { name: 'Ada', email: 'ada@example.com' },
            reason: 'test',
            assignedAt: new Date().toISOString(),
          },
          { source: 'ticketflow/routing', subject: ticketId },
        ),
      ),
      ticketId,
    );
    const steps = await waitFor(
      () => ofType(ticketId, 'sla.escalated').length === 2 && ofType(ticketId, 'sla.escalated'),
      {
        timeoutMs: 15_000,
      },
    );
    expect(steps.map((e) => [e.data.step, e.data.notify, e.data.assigneeId])).toEqual([
      [0, ['assignee'], assignee],
      [1, ['team_lead'], assignee],
    ]);
    const [breached] = ofType(ticketId, 'sla.breached');
    expect(Date.parse(steps[1].data.escalatedAt)).toBeGreaterThanOrEqual(
      Date.parse(breached.data.breachedAt) + 1_000,
    );
  });

  it('never leaves a breach on a ticket solved before its due time, however the solve races the timer', async () => {
    const tickets = Array.from({ length: 12 }, () => ticketCreated('race'));
    await Promise.all(tickets.map(publish));
    const started = await waitFor(
      () => {
        const all = tickets.map((t) => ofType(t.data.ticketId, 'sla.started')[0]);
        return all.every(Boolean) && all;
      },
      { description: 'every race clock started' },
    );
    // Solve times from 900 ms before the due time to 750 ms after it, announced as they happen.
    const solves = started
      .map((event, i) => ({
        ticketId: event.data.ticketId,
        at: Date.parse(event.data.dueAt) + (i - 6) * 150,
      }))
      .sort((a, b) => a.at - b.at);
    for (const solve of solves) {
      await sleep(Math.max(0, solve.at - Date.now()));
      await publish(statusChanged(solve.ticketId, 'open', 'solved', new Date(solve.at)));
    }
    for (const { ticketId, at } of solves) {
      const due = Date.parse(started.find((e) => e.data.ticketId === ticketId)!.data.dueAt);
      const expected = at <= due ? 'met' : 'breached';
      const state = await waitFor(
        async () => {
          const view = await request(app.getHttpServer() as Server)
            .get(`/v1/tickets/${ticketId}/sla`)
            .set('authorization', bearer('agent'));
          const clock = view.body.clocks[0] as { state: string };
          return clock.state === expected && clock.state;
        },
        {
          description: `the ${expected} clock of a ticket solved ${at - due} ms from its due time`,
          timeoutMs: 15_000,
        },
      );
      expect(state).toBe(expected);
    }
  });

  it('starts a next-response clock on each waiting customer message and restarts resolution on reopen', async () => {
    const ticket = ticketCreated('converse');
    const { ticketId } = ticket.data;
    await publish(ticket);
    await waitFor(() => ofType(ticketId, 'sla.started').length === 2);
    await publish(message(ticketId, 'agent', { first: true }));
    await publish(message(ticketId, 'customer'));
    await publish(message(ticketId, 'agent', { next: true }));
    await publish(statusChanged(ticketId, 'open', 'solved'));
    await publish(statusChanged(ticketId, 'solved', 'open'));
    await waitFor(() => ofType(ticketId, 'sla.started').length === 4);
    expect(slaEvents(ticketId).map((e) => `${e.type}:${e.data.metric}`)).toEqual([
      'sla.started:first_response',
      'sla.started:resolution',
      'sla.met:first_response',
      'sla.started:next_response',
      'sla.met:next_response',
      'sla.met:resolution',
      'sla.started:resolution',
    ]);
  });

  it('recomputes a running clock when a priority change moves the ticket to another policy, keeping time counted', async () => {
    const ticket = ticketCreated('change');
    const { ticketId } = ticket.data;
    await publish(ticket);
    const [started] = await waitFor(
      () => ofType(ticketId, 'sla.started').length > 0 && ofType(ticketId, 'sla.started'),
    );
    expect(started.data.target).toBe('PT1H');
    await sleep(1_000);
    await publish(
      buildEvent(
        'ticket.updated',
        {
          ticketId,
          changes: { priority: { from: 'normal', to: 'urgent' } },
          priority: 'urgent',
          category: null,
          tags: ['change'],
          changedAt: new Date().toISOString(),
        },
        { source: INTAKE, subject: ticketId },
      ),
    );
    const [recomputed] = await waitFor(
      () => ofType(ticketId, 'sla.recomputed').length > 0 && ofType(ticketId, 'sla.recomputed'),
    );
    expect(recomputed.data).toMatchObject({
      reason: 'ticket_changed',
      previous: { target: 'PT1H', dueAt: started.data.dueAt },
      current: { target: 'PT10M' },
    });
    // Ten minutes of target, less the time already counted under the old terms.
    const due = Date.parse(recomputed.data.current.dueAt!);
    const counted = recomputed.data.elapsedMs;
    expect(counted).toBeGreaterThanOrEqual(1_000);
    expect(due).toBe(Date.parse(recomputed.data.recomputedAt) + 10 * 60_000 - counted);
  });

  it("matches a policy on the customer tier in the ticket's metadata, and re-matches when the tier changes", async () => {
    const gold = ticketCreated('tier', { metadata: { customerTier: 'gold', seats: 250 } });
    const standard = ticketCreated('tier', { metadata: { customerTier: 'standard' } });
    const legacy = ticketCreated('tier');
    await Promise.all([gold, standard, legacy].map(publish));
    const targetOf = async (ticketId: string) => {
      const [started] = await waitFor(
        () => ofType(ticketId, 'sla.started').length > 0 && ofType(ticketId, 'sla.started'),
      );
      return started.data.target;
    };
    expect(await targetOf(gold.data.ticketId)).toBe('PT15M');
    expect(await targetOf(standard.data.ticketId)).toBe('PT2H');
    expect(await targetOf(legacy.data.ticketId)).toBe('PT2H');

    const { ticketId } = standard.data;
    await publish(
      buildEvent(
        'ticket.updated',
        {
          ticketId,
          changes: { metadata: { from: { customerTier: 'standard' }, to: { customerTier: 'platinum' } } },
          priority: 'normal',
          category: null,
          tags: ['tier'],
          metadata: { customerTier: 'platinum' },
          changedAt: new Date().toISOString(),
        },
        { source: INTAKE, subject: ticketId },
      ),
    );
    const [recomputed] = await waitFor(
      () => ofType(ticketId, 'sla.recomputed').length > 0 && ofType(ticketId, 'sla.recomputed'),
    );
    expect(recomputed.data).toMatchObject({
      reason: 'ticket_changed',
      previous: { target: 'PT2H' },
      current: { target: 'PT15M' },
    });
    const explained = await request(app.getHttpServer() as Server)
      .get(`/v1/tickets/${ticketId}/sla`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(JSON.stringify(explained.body)).toContain('policy tier-gold');
  });

  it('refuses a metadata condition that is not a list of values per key', async () => {
    const refused = await request(app.getHttpServer() as Server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({
        name: 'bad tier',
        match: { metadata: { customerTier: 'gold' } },
        targets: { firstResponse: 'PT1H' },
      })
      .expect(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ field: 'match.metadata' })]);
  });

  it('gives each priority its own target inside one policy, and moves a ticket between them when its priority changes', async () => {
    const normal = ticketCreated('tiered');
    await publish(normal);
    const [started] = await waitFor(
      () =>
        ofType(normal.data.ticketId, 'sla.started').length > 0 && ofType(normal.data.ticketId, 'sla.started'),
    );
    expect(started.data.target).toBe('PT1H');
    await publish(
      buildEvent(
        'ticket.updated',
        {
          ticketId: normal.data.ticketId,
          changes: { priority: { from: 'normal', to: 'urgent' } },
          priority: 'urgent',
          category: null,
          tags: ['tiered'],
          changedAt: new Date().toISOString(),
        },
        { source: INTAKE, subject: normal.data.ticketId },
      ),
    );
    const [recomputed] = await waitFor(
      () =>
        ofType(normal.data.ticketId, 'sla.recomputed').length > 0 &&
        ofType(normal.data.ticketId, 'sla.recomputed'),
    );
    expect(recomputed.data).toMatchObject({
      previous: { target: 'PT1H', policyVersion: 1 },
      current: { target: 'PT10M', policyVersion: 1, policyId: started.data.policyId },
    });

    const invalid = await request(app.getHttpServer() as Server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({
        name: 'bad',
        match: {},
        targets: { byPriority: { urgent: { firstResponse: 'soon' } } },
        escalation: [{ after: 'PT0S', notify: ['manager'] }],
      })
      .expect(400);
    expect(invalid.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'escalation.0.notify',
      'targets.byPriority.urgent.firstResponse',
    ]);
  });

  it('applies an edited policy to open tickets only when the admin asks', async () => {
    const server = app.getHttpServer() as Server;
    const created = await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({ name: 'apply', match: { tags: ['apply'] }, warnAt: [], targets: { resolution: 'PT2H' } })
      .expect(201);
    const ticket = ticketCreated('apply');
    const { ticketId } = ticket.data;
    await publish(ticket);
    const [started] = await waitFor(
      () => ofType(ticketId, 'sla.started').length > 0 && ofType(ticketId, 'sla.started'),
    );
    await request(server)
      .put(`/v1/sla-policies/${created.body.id}`)
      .set('authorization', bearer('admin'))
      .send({ name: 'apply', match: { tags: ['apply'] }, warnAt: [], targets: { resolution: 'PT1H' } })
      .expect(200);
    await sleep(500);
    expect(ofType(ticketId, 'sla.recomputed')).toEqual([]);
    const applied = await request(server)
      .post(`/v1/sla-policies/${created.body.id}/apply-to-open`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(applied.body).toMatchObject({ version: 2, ticketsRecomputed: 1, clocksRecomputed: 1 });
    const [recomputed] = await waitFor(
      () => ofType(ticketId, 'sla.recomputed').length > 0 && ofType(ticketId, 'sla.recomputed'),
    );
    expect(recomputed.data).toMatchObject({
      reason: 'policy_applied',
      previous: { policyVersion: 1, target: 'PT2H', dueAt: started.data.dueAt },
      current: { policyVersion: 2, target: 'PT1H' },
    });
    expect(Date.parse(recomputed.data.current.dueAt!)).toBeLessThan(Date.parse(started.data.dueAt));
  });

  it('reports compliance, breaches and response percentiles per priority over a window, and replays it against drafts', async () => {
    const day = '2026-01-05';
    const at = (time: string) => `${day}T${time}:00.000Z`;
    const answered = ticketCreated('report', { priority: 'high', createdAt: at('10:00') });
    const waiting = ticketCreated('report', { priority: 'high', createdAt: at('11:00') });
    const missed = ticketCreated('report-fast', { priority: 'high', createdAt: at('12:00') });
    const low = ticketCreated('report', { priority: 'low', createdAt: at('13:00') });
    for (const ticket of [answered, waiting, missed, low]) await publish(ticket);
    await publish(message(answered.data.ticketId, 'agent', { first: true, at: at('10:10') }));
    await publish(message(low.data.ticketId, 'agent', { first: true, at: at('13:30') }));
    await waitFor(
      () =>
        ofType(answered.data.ticketId, 'sla.met').length > 0 &&
        ofType(low.data.ticketId, 'sla.met').length > 0 &&
        ofType(missed.data.ticketId, 'sla.breached').length > 0,
    );
    const report = await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=${day}T00:00:00Z&to=2026-01-06T00:00:00Z&groupBy=priority`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(report.body).toEqual({
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-06T00:00:00.000Z',
      groupBy: 'priority',
      groups: [
        {
          priority: 'high',
          metrics: {
            first_response: {
              clocks: 3,
              met: 1,
              breached: 1,
              open: 1,
              compliancePct: 50,
              seconds: { p50: 600, p90: 600, p99: 600 },
            },
          },
        },
        {
          priority: 'low',
          metrics: {
            first_response: {
              clocks: 1,
              met: 1,
              breached: 0,
              open: 0,
              compliancePct: 100,
              seconds: { p50: 1800, p90: 1800, p99: 1800 },
            },
          },
        },
      ],
    });
    const byTeam = await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=${day}T00:00:00Z&to=2026-01-06T00:00:00Z&groupBy=team`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(byTeam.body.groups).toEqual([expect.objectContaining({ team: 'unassigned' })]);

    // Over time: one point per hour of the day, empty hours included, bucketed by the clock's start.
    const hourly = await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=${day}T00:00:00Z&to=2026-01-06T00:00:00Z&interval=hour`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(hourly.body.interval).toBe('hour');
    const series = hourly.body.series as Array<{ start: string; metrics: Record<string, unknown> }>;
    expect(series).toHaveLength(24);
    expect(series[0].start).toBe(at('00:00'));
    const firstResponse = (time: string) =>
      series.find((point) => point.start === at(time))?.metrics.first_response;
    const point = (met: number, breached: number, open: number) => ({
      clocks: met + breached + open,
      met,
      breached,
      open,
      compliancePct: met + breached === 0 ? null : Math.round((met / (met + breached)) * 10_000) / 100,
    });
    expect(firstResponse('09:00')).toEqual(point(0, 0, 0));
    expect(firstResponse('10:00')).toEqual(point(1, 0, 0));
    expect(firstResponse('11:00')).toEqual(point(0, 0, 1));
    expect(firstResponse('12:00')).toEqual(point(0, 1, 0));
    expect(firstResponse('13:00')).toEqual(point(1, 0, 0));
    const weekly = await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=${day}T00:00:00Z&to=2026-01-06T00:00:00Z&interval=week`)
      .set('authorization', bearer('agent'))
      .expect(200);
    // 2026-01-05 is a Monday: the window is one ISO week's first day.
    expect(weekly.body.series).toEqual([
      { start: at('00:00'), metrics: expect.objectContaining({ first_response: point(2, 1, 1) }) },
    ]);
    const tooMany = await request(app.getHttpServer() as Server)
      .get('/v1/reports/sla?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=hour')
      .set('authorization', bearer('agent'))
      .expect(400);
    expect(tooMany.body.details).toEqual([
      { field: 'interval', message: expect.stringContaining('more than 1000') },
    ]);
    await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=${day}T00:00:00Z&to=2026-01-06T00:00:00Z&interval=minute`)
      .set('authorization', bearer('agent'))
      .expect(400);
    const backwards = await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=2026-01-06T00:00:00Z&to=${day}T00:00:00Z`)
      .set('authorization', bearer('agent'))
      .expect(400);
    expect(backwards.body.details).toEqual([{ field: 'to', message: 'to must be after from' }]);
    await request(app.getHttpServer() as Server)
      .get(`/v1/reports/sla?from=yesterday&to=${day}T00:00:00Z&groupBy=colour`)
      .set('authorization', bearer('agent'))
      .expect(400);

    // What-if: the same window replayed against draft policies for high-priority tickets.
    const simulate = (firstResponse: string) =>
      request(app.getHttpServer() as Server)
        .post('/v1/sla-policies/simulate')
        .set('authorization', bearer('admin'))
        .send({
          from: `${day}T00:00:00Z`,
          to: '2026-01-06T00:00:00Z',
          policy: { name: 'draft', match: { priority: 'high' }, targets: { firstResponse } },
        })
        .expect(200);
    const strict = await simulate('PT5M');
    expect(strict.body).toMatchObject({ ticketsMatched: 3 });
    expect(strict.body.metrics.first_response).toMatchObject({
      evaluated: 3,
      wouldBreach: 3,
      actuallyBreached: 1,
      noLongerBreached: [],
    });
    expect(strict.body.metrics.first_response.newlyBreached.sort()).toEqual(
      [answered.data.ticketId, waiting.data.ticketId].sort(),
    );
    const lenient = await simulate('P500D');
    expect(lenient.body.metrics.first_response).toMatchObject({
      evaluated: 3,
      wouldBreach: 0,
      actuallyBreached: 1,
      newlyBreached: [],
      noLongerBreached: [missed.data.ticketId],
    });
  });

  it('replays tickets that had no clock against a draft policy, from their own reply and solve times', async () => {
    // No live policy matches the tag "unmatched", so none of these tickets gets a clock.
    const day = '2026-02-03';
    const at = (time: string) => `${day}T${time}:00.000Z`;
    const answered = ticketCreated('unmatched', { createdAt: at('10:00') });
    const waiting = ticketCreated('unmatched', { createdAt: at('11:00') });
    const solved = ticketCreated('unmatched', { createdAt: at('12:00') });
    const otherDay = ticketCreated('unmatched', { createdAt: '2026-02-04T10:00:00.000Z' });
    const otherTag = ticketCreated('elsewhere', { createdAt: at('13:00') });
    for (const ticket of [answered, waiting, solved, otherDay, otherTag]) await publish(ticket);
    await publish(message(answered.data.ticketId, 'agent', { at: at('10:20') }));
    await publish(statusChanged(solved.data.ticketId, 'new', 'solved', new Date(at('12:05'))));
    const database = app.get(DataSource);
    await waitFor(
      async () => {
        const rows = await database.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM sla_tickets
           WHERE ticket_id = ANY($1) AND (ticket_id <> $2 OR first_replied_at IS NOT NULL)
             AND (ticket_id <> $3 OR solved_at IS NOT NULL)`,
          [
            [answered, waiting, solved, otherDay, otherTag].map((t) => t.data.ticketId),
            answered.data.ticketId,
            solved.data.ticketId,
          ],
        );
        return rows[0].n === 5;
      },
      { description: 'the tickets, the reply and the solve recorded' },
    );
    const ids = [answered, waiting, solved].map((t) => t.data.ticketId);
    const clocks = await database.query('SELECT id FROM sla_clocks WHERE ticket_id = ANY($1)', [ids]);
    expect(clocks).toEqual([]);

    const simulate = (firstResponse: string) =>
      request(app.getHttpServer() as Server)
        .post('/v1/sla-policies/simulate')
        .set('authorization', bearer('admin'))
        .send({
          from: `${day}T00:00:00Z`,
          to: '2026-02-04T00:00:00Z',
          policy: {
            name: 'draft',
            match: { tags: ['unmatched'] },
            targets: { firstResponse, resolution: 'PT1H' },
          },
        })
        .expect(200);
    const lenient = await simulate('PT30M');
    expect(lenient.body.ticketsMatched).toBe(3);
    expect(lenient.body.metrics.first_response).toEqual({
      evaluated: 3,
      wouldBreach: 1,
      actuallyBreached: 0,
      newlyBreached: [waiting.data.ticketId],
      noLongerBreached: [],
    });
    expect(lenient.body.metrics.resolution).toMatchObject({
      evaluated: 3,
      wouldBreach: 2,
      actuallyBreached: 0,
    });
    expect(lenient.body.metrics.resolution.newlyBreached.sort()).toEqual(
      [answered.data.ticketId, waiting.data.ticketId].sort(),
    );
    expect(lenient.body.metrics.next_response.evaluated).toBe(0);
    // The 20-minute reply misses a 10-minute target; the solve after 5 minutes met the response too.
    const strict = await simulate('PT10M');
    expect(strict.body.metrics.first_response.wouldBreach).toBe(2);
    expect(strict.body.metrics.first_response.newlyBreached.sort()).toEqual(
      [answered.data.ticketId, waiting.data.ticketId].sort(),
    );
  });

  it('never waits for a clock another transaction holds: the breach fires once it is let go', async () => {
    const created = ticketCreated('held');
    await publish(created);
    const first = (type: 'sla.started' | 'sla.breached') => {
      const events = ofType(created.data.ticketId, type);
      return events.length > 0 && events[0];
    };
    const started = await waitFor(() => first('sla.started') as EventEnvelope<'sla.started'> | false, {
      description: 'clock started',
    });
    // A consumer's batch holds the clock, as it does while applying the ticket's events.
    const holder = app.get(DataSource).createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('SELECT id FROM sla_clocks WHERE id = $1 FOR UPDATE', [started.data.clockId]);
      await sleep(Math.max(0, Date.parse(started.data.dueAt) - Date.now()) + 500);
      // A drain waiting for that lock while holding others is how a drain and a consumer deadlock:
      // past the due time, no session of this database may be waiting for a lock.
      await sleep(1_000);
      const [{ waiting }] = (await holder.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )) as Array<{ waiting: number }>;
      expect(waiting).toBe(0);
      expect(ofType(created.data.ticketId, 'sla.breached')).toHaveLength(0);
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
    const breach = await waitFor(() => first('sla.breached') as EventEnvelope<'sla.breached'> | false, {
      description: 'the breach once the clock is free',
      timeoutMs: 10_000,
    });
    expect(Date.parse(breach.data.breachedAt)).toBeGreaterThanOrEqual(Date.parse(started.data.dueAt));
    await sleep(1_000);
    expect(ofType(created.data.ticketId, 'sla.breached')).toHaveLength(1);
  });

  it('fires a breach whose wake-up Redis lost, once, and reports the repair', async () => {
    const created = ticketCreated('lost');
    await publish(created);
    await waitFor(() => ofType(created.data.ticketId, 'sla.started').length === 1, {
      description: 'clock started',
    });
    const [started] = ofType(created.data.ticketId, 'sla.started');
    // The wake-ups go, the marker stays: only the overdue check can notice.
    await forgetRedis('sla-timers:*');
    const rounds = recordRounds();
    await waitFor(() => ofType(created.data.ticketId, 'sla.breached').length === 1, {
      description: 'breach after the lost wake-up',
      timeoutMs: 30_000,
    });
    const [breach] = ofType(created.data.ticketId, 'sla.breached');
    expect(new Date(breach.data.breachedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(started.data.dueAt).getTime(),
    );
    expect((await rounds()).some((round) => round.overdue > 0)).toBe(true);
    await sleep(1_500);
    expect(ofType(created.data.ticketId, 'sla.breached')).toHaveLength(1);
  });

  it('fires every due breach exactly once after Redis lost the timers of 1,000 armed clocks', async () => {
    const tickets = Array.from({ length: 1_000 }, () => ticketCreated('flush'));
    for (let i = 0; i < tickets.length; i += 100) await Promise.all(tickets.slice(i, i + 100).map(publish));
    const ids = new Set(tickets.map((t) => t.data.ticketId));
    const startedCount = () =>
      probe
        .on(topic(Topic.SlaEvents))
        .map((m) => m.json<SlaEvent>())
        .filter((e) => e.type === 'sla.started' && ids.has(e.data.ticketId)).length;
    await waitFor(() => startedCount() === 1_000, { description: '1,000 started clocks', timeoutMs: 60_000 });

    await forgetRedis();
    const rounds = recordRounds();
    const breaches = () =>
      probe
        .on(topic(Topic.SlaEvents))
        .map((m) => m.json<SlaEvent>())
        .filter((e) => e.type === 'sla.breached' && ids.has(e.data.ticketId));
    await waitFor(() => new Set(breaches().map((e) => e.data.ticketId)).size === 1_000, {
      description: 'a breach for every clock',
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    await sleep(2_000);
    expect(breaches()).toHaveLength(1_000);
    // The lost marker, not the lost wake-ups one by one, told the scheduler to refill from Postgres.
    const refills = (await rounds()).filter((round) => round.kind === 'refill');
    expect(refills.length).toBeGreaterThan(0);
    expect(refills[0].wakeUps).toBeGreaterThan(0);
  });
});
