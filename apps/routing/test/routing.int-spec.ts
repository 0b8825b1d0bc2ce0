import { type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { buildEvent, type EventEnvelope, serializeEvent, Topic } from '@app/contracts';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  startServiceApp,
  type TestSandbox,
  waitFor,
  ticketCreatedEvent,
} from '@app/testing';
import { loadRoutingConfig } from '../src/config/routing.config';
import { RoutingModule } from '../src/routing.module';

describe('routing over real Postgres and Kafka', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let probe: KafkaProbe;
  let topic: (logical: string) => string;
  let db: DataSource;

  function ticketCreated(
    overrides: {
      priority?: 'low' | 'normal' | 'high' | 'urgent';
      language?: string | null;
      tenant?: string;
    } = {},
  ) {
    return ticketCreatedEvent({ ...overrides, customer: { email: 'c@example.com' } });
  }

  async function publish(event: { subject?: string }) {
    await probe.publish(topic(Topic.TicketEvents), serializeEvent(event as never), event.subject);
  }

  const assignmentEvents = (ticketId: string) =>
    probe
      .on(topic(Topic.AssignmentEvents))
      .map((m) => m.json<EventEnvelope<'ticket.assigned'> | EventEnvelope<'ticket.queued'>>())
      .filter((e) => e.data.ticketId === ticketId);

  function agent(body: Record<string, unknown>, key: Parameters<typeof bearer>[0] = 'admin') {
    return request(app.getHttpServer())
      .post('/v1/agents')
      .set('authorization', bearer(key))
      .send({ skills: [], capacity: 2, status: 'online', ...body });
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
    topic = (logical) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
    app = await startServiceApp(RoutingModule.forRoot(loadRoutingConfig(sandbox.env)));
    db = app.get(DataSource);
    probe = new KafkaProbe();
    await probe.watch([topic(Topic.AssignmentEvents)]);
  });

  afterAll(async () => {
    await probe?.close();
    await app?.close();
    await sandbox?.dispose();
  });

  beforeEach(async () => {
    // Each scenario starts with no agents and an empty queue in tenant `default`.
    await db.query(
      `DELETE FROM routing_queue; DELETE FROM assignments; DELETE FROM agents; DELETE FROM routing_rules; DELETE FROM teams`,
    );
  });

  it('manages agents, teams and rules with validation, roles and tenant isolation', async () => {
    const server = app.getHttpServer();
    const team = await request(server)
      .post('/v1/teams')
      .set('authorization', bearer('admin'))
      .send({ name: 'Billing', skills: ['billing'] })
      .expect(201);
    const ada = await agent({
      name: 'Ada',
      email: 'ada@example.com',
      skills: ['lang:tr'],
      teamId: team.body.id,
    }).expect(201);
    expect(ada.body).toMatchObject({
      name: 'Ada',
      skills: ['lang:tr'],
      activeCount: 0,
      teamId: team.body.id,
    });
    await agent({ name: 'Ada again', email: 'ada@example.com' }).expect(409);

    const bad = await agent({
      name: '',
      email: 'nope',
      capacity: -1,
      status: 'sleeping',
      skills: ['Bad Skill'],
    }).expect(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['name', 'email', 'capacity', 'status', 'skills']),
    );

    await agent({ name: 'X', email: 'x@example.com' }, 'agent').expect(403);
    await request(server).get('/v1/agents').expect(401);
    await request(server)
      .get(`/v1/agents/${ada.body.id}`)
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(404);
    const patched = await request(server)
      .patch(`/v1/agents/${ada.body.id}`)
      .set('authorization', bearer('admin'))
      .send({ capacity: 7 })
      .expect(200);
    expect(patched.body.capacity).toBe(7);

    const rule = await request(server)
      .post('/v1/routing-rules')
      .set('authorization', bearer('admin'))
      .send({ match: { language: 'tr' }, assign: { teamId: team.body.id, requiredSkills: ['lang:tr'] } })
      .expect(201);
    expect(rule.body.position).toBe(0);
    const badRule = await request(server)
      .post('/v1/routing-rules')
      .set('authorization', bearer('admin'))
      .send({ match: { channel: 'fax' }, assign: {} })
      .expect(400);
    expect(badRule.body.details[0].field).toBe('match.channel');
    const rules = await request(server)
      .get('/v1/routing-rules')
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(rules.body).toHaveLength(1);
    await request(server)
      .delete(`/v1/routing-rules/${rule.body.id}`)
      .set('authorization', bearer('admin'))
      .expect(204);
    await request(server)
      .delete(`/v1/agents/${ada.body.id}`)
      .set('authorization', bearer('admin'))
      .expect(204);
  });

  it('assigns least-loaded first, ties to the longest idle, then queues; a solved ticket frees a slot for the queue', async () => {
    const ada = await agent({ name: 'Ada', email: 'ada@example.com' }).expect(201);
    const bob = await agent({ name: 'Bob', email: 'bob@example.com' }).expect(201);
    const tickets = [ticketCreated(), ticketCreated(), ticketCreated(), ticketCreated()];
    for (const ticket of tickets) {
      await publish(ticket);
      await waitFor(() => assignmentEvents(ticket.data.ticketId).length > 0, {
        description: 'a routing decision',
      });
    }
    const owners = tickets.map(
      (t) => (assignmentEvents(t.data.ticketId)[0] as EventEnvelope<'ticket.assigned'>).data.agentId,
    );
    // Ada and Bob alternate: each new ticket goes to whoever is less loaded, or idle longest.
    expect(owners[0]).not.toBe(owners[1]);
    expect(owners[2]).toBe(owners[0]);
    expect(owners[3]).toBe(owners[1]);
    expect(new Set(owners)).toEqual(new Set([ada.body.id, bob.body.id]));

    const urgent = ticketCreated({ priority: 'urgent' });
    const low = ticketCreated({ priority: 'low' });
    await publish(low);
    await publish(urgent);
    await waitFor(
      () =>
        assignmentEvents(urgent.data.ticketId).length > 0 && assignmentEvents(low.data.ticketId).length > 0,
    );
    expect(assignmentEvents(urgent.data.ticketId)[0].type).toBe('ticket.queued');

    const solved = buildEvent(
      'ticket.status.changed',
      { ticketId: tickets[0].data.ticketId, from: 'open', to: 'solved', changedAt: new Date().toISOString() },
      { source: 'ticketflow/intake', subject: tickets[0].data.ticketId },
    );
    await publish(solved);
    // The freed slot goes to the urgent ticket although the low one waited longer.
    const assigned = await waitFor(() =>
      assignmentEvents(urgent.data.ticketId).find((e) => e.type === 'ticket.assigned'),
    );
    expect(assigned.data.agentId).toBe(owners[0]);
    expect(assignmentEvents(low.data.ticketId).map((e) => e.type)).toEqual(['ticket.queued']);

    // An agent coming online takes the rest of the queue at once.
    const cy = await agent({ name: 'Cy', email: 'cy@example.com', status: 'offline' }).expect(201);
    await request(app.getHttpServer())
      .patch(`/v1/agents/${cy.body.id}`)
      .set('authorization', bearer('admin'))
      .send({ status: 'online' })
      .expect(200);
    const lowAssigned = await waitFor(() =>
      assignmentEvents(low.data.ticketId).find((e) => e.type === 'ticket.assigned'),
    );
    expect(lowAssigned.data.agentId).toBe(cy.body.id);
    const explained = await request(app.getHttpServer())
      .get(`/v1/assignments/${low.data.ticketId}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(explained.body).toMatchObject({ state: 'active', agentId: cy.body.id });
    expect(explained.body.reason).toContain('least-loaded');
  });

  it('follows a matching rule to the agent with the language skill', async () => {
    await agent({ name: 'Ada', email: 'ada@example.com', skills: ['lang:en'] }).expect(201);
    const turkish = await agent({ name: 'Tuna', email: 'tuna@example.com', skills: ['lang:tr'] }).expect(201);
    await request(app.getHttpServer())
      .post('/v1/routing-rules')
      .set('authorization', bearer('admin'))
      .send({ match: { language: 'tr' }, assign: { requiredSkills: ['lang:tr'] } })
      .expect(201);
    const ticket = ticketCreated({ language: 'tr' });
    await publish(ticket);
    const decision = await waitFor(() => assignmentEvents(ticket.data.ticketId)[0]);
    expect(decision).toMatchObject({ type: 'ticket.assigned', data: { agentId: turkish.body.id } });
  });

  it('never exceeds capacity with two routing replicas consuming at once, and applies a duplicate once', async () => {
    const replica = await startServiceApp(RoutingModule.forRoot(loadRoutingConfig(sandbox.env)));
    try {
      for (const name of ['a', 'b', 'c'])
        await agent({ name, email: `${name}@example.com`, capacity: 5 }).expect(201);
      const tickets = Array.from({ length: 60 }, () => ticketCreated());
      await Promise.all(tickets.map(publish));
      await publish(tickets[0]);
      await waitFor(() => tickets.every((t) => assignmentEvents(t.data.ticketId).length > 0), {
        description: 'a decision for all 60 tickets',
        timeoutMs: 60_000,
      });
      const load = await db.query(`SELECT active_count, capacity FROM agents`);
      expect(load).toEqual([
        { active_count: 5, capacity: 5 },
        { active_count: 5, capacity: 5 },
        { active_count: 5, capacity: 5 },
      ]);
      const [{ active }] = await db.query(
        `SELECT count(*)::int AS active FROM assignments WHERE state = 'active'`,
      );
      const [{ queued }] = await db.query(`SELECT count(*)::int AS queued FROM routing_queue`);
      expect({ active, queued }).toEqual({ active: 15, queued: 45 });
      expect(assignmentEvents(tickets[0].data.ticketId)).toHaveLength(1);
    } finally {
      await replica.close();
    }
  });
});
