import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { buildEvent, type EventEnvelope, serializeEvent, Topic } from '@app/contracts';
import { bearer, createSandbox, KafkaProbe, startServiceApp, type TestSandbox, waitFor } from '@app/testing';
import { loadIntakeConfig } from '../src/config/intake.config';
import { IntakeModule } from '../src/intake.module';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('intake over real Postgres and Kafka', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let probe: KafkaProbe;
  let topic: (logical: string) => string;

  const newTicket = (overrides: Record<string, unknown> = {}) => ({
    channel: 'email',
    customer: { email: `c-${randomUUID()}@example.com`, name: 'Ayşe', locale: 'tr-TR' },
    subject: 'Siparişim gelmedi',
    body: 'Merhaba',
    ...overrides,
  });

  const created = (ticketId: string) =>
    probe
      .on(topic(Topic.TicketEvents))
      .map((m) => ({ key: m.key, event: m.json<EventEnvelope<'ticket.created'>>() }))
      .filter(({ event }) => event.type === 'ticket.created' && event.data.ticketId === ticketId);

  beforeAll(async () => {
    sandbox = await createSandbox();
    topic = (logical) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
    app = await startServiceApp(IntakeModule.forRoot(loadIntakeConfig(sandbox.env)));
    probe = new KafkaProbe();
    await probe.watch([topic(Topic.TicketEvents), topic(`${Topic.TicketsInbound}.dlq`)]);
  });

  afterAll(async () => {
    await probe?.close();
    await app?.close();
    await sandbox?.dispose();
  });

  it('creates a ticket over HTTP and publishes ticket.created keyed by the ticket id', async () => {
    const response = await request(app.getHttpServer())
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .set('x-correlation-id', 'corr-intake-1')
      .send(newTicket({ priority: 'high', tags: ['billing', 'billing'] }))
      .expect(201);
    expect(response.body).toMatchObject({
      status: 'new',
      priority: 'high',
      channel: 'email',
      language: 'tr',
      tags: ['billing'],
    });
    expect(response.body.reference).toMatch(/^TCK-\d{6}$/);

    const [message] = await waitFor(() => created(response.body.id).length > 0 && created(response.body.id));
    expect(message.key).toBe(response.body.id);
    expect(message.event).toMatchObject({
      tenant: 'default',
      subject: response.body.id,
      sequence: 1,
      correlationid: 'corr-intake-1',
    });
    expect(message.event.data.customer.email).toContain('@example.com');
  });

  it('returns the same ticket for a repeated externalId and publishes nothing new', async () => {
    const externalId = `ext-${randomUUID()}`;
    const body = newTicket({ externalId });
    const first = await request(app.getHttpServer())
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(body)
      .expect(201);
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        request(app.getHttpServer()).post('/v1/tickets').set('authorization', bearer('publisher')).send(body),
      ),
    );
    expect(again.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(again.map((r) => r.body.id))).toEqual(new Set([first.body.id]));
    await waitFor(() => created(first.body.id).length > 0);
    const tickets = await app
      .get(DataSource)
      .query('SELECT count(*)::int AS n FROM tickets WHERE external_id = $1', [externalId]);
    expect(tickets[0].n).toBe(1);
    expect(created(first.body.id)).toHaveLength(1);
  });

  it('authenticates, authorises and isolates tenants', async () => {
    const server = app.getHttpServer();
    await request(server).post('/v1/tickets').send(newTicket()).expect(401);
    await request(server)
      .post('/v1/tickets')
      .set('authorization', 'Bearer not-a-known-key-at-all')
      .send(newTicket())
      .expect(401);
    const ticket = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket())
      .expect(201);
    await request(server)
      .get(`/v1/tickets/${ticket.body.id}`)
      .set('authorization', bearer('publisher'))
      .expect(403);
    await request(server)
      .get(`/v1/tickets/${ticket.body.id}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    const foreign = await request(server)
      .get(`/v1/tickets/${ticket.body.id}`)
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(404);
    expect(foreign.body.code).toBe('ticket_not_found');
    await request(server).get('/health/live').expect(200);
    const metrics = await request(server).get('/metrics').expect(200);
    expect(metrics.text).toContain('tickets_created_total');
  });

  it('names the offending field and rejects unknown fields', async () => {
    const server = app.getHttpServer();
    const bad = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ channel: 'fax', customer: { email: 'not-an-email' } }))
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['channel', 'customer.email']),
    );
    const unknown = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ tenant: 'other' }))
      .expect(400);
    expect(unknown.body.details[0].field).toBe('tenant');
    const noIdentity = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ customer: { name: 'x' } }))
      .expect(400);
    expect(noIdentity.body.details[0].field).toBe('customer.email');
    const huge = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ body: 'x'.repeat(300_000) }))
      .expect(413);
    expect(huge.body.code).toBe('payload_too_large');
  });

  it("keeps the sender's metadata, publishes it and its changes, and refuses metadata that is not flat", async () => {
    const server = app.getHttpServer();
    const metadata = { customerTier: 'gold', seats: 250, trial: false };
    const posted = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ metadata }))
      .expect(201);
    expect(posted.body.metadata).toEqual(metadata);
    const [announced] = await waitFor(() => created(posted.body.id).length > 0 && created(posted.body.id));
    expect(announced.event.data.metadata).toEqual(metadata);

    const inboundEmail = `meta-${randomUUID()}@example.com`;
    await probe.publish(
      topic(Topic.TicketsInbound),
      JSON.stringify({
        specversion: '1.0',
        id: randomUUID(),
        source: 'crm',
        type: 'ticket.requested',
        data: {
          channel: 'api',
          customer: { email: inboundEmail },
          subject: 'Seats',
          body: 'More seats',
          metadata,
        },
      }),
    );
    const db = app.get(DataSource);
    const [fromKafka] = await waitFor(async () => {
      const rows = await db.query<Array<{ metadata: unknown }>>(
        `SELECT t.metadata FROM tickets t JOIN customer_identities i ON i.customer_id = t.customer_id WHERE i.value = $1`,
        [inboundEmail],
      );
      return rows.length > 0 && rows;
    });
    expect(fromKafka.metadata).toEqual(metadata);

    const patched = await request(server)
      .patch(`/v1/tickets/${posted.body.id}`)
      .set('authorization', bearer('agent'))
      .send({ metadata: { customerTier: 'platinum', trial: null } })
      .expect(200);
    expect(patched.body.metadata).toEqual({ customerTier: 'platinum', seats: 250 });
    const updates = () =>
      probe
        .on(topic(Topic.TicketEvents))
        .map((m) => m.json<EventEnvelope<'ticket.updated'>>())
        .filter((e) => e.type === 'ticket.updated' && e.data.ticketId === posted.body.id);
    const [update] = await waitFor(() => updates().length > 0 && updates());
    expect(update.data.changes).toEqual({
      metadata: { from: metadata, to: { customerTier: 'platinum', seats: 250 } },
    });
    expect(update.data.metadata).toEqual({ customerTier: 'platinum', seats: 250 });
    // Setting what is already there changes nothing and announces nothing.
    await request(server)
      .patch(`/v1/tickets/${posted.body.id}`)
      .set('authorization', bearer('agent'))
      .send({ metadata: { customerTier: 'platinum' } })
      .expect(200);

    for (const bad of [{ customer: { tier: 'gold' } }, { 'not a key': 1 }, { list: ['a'] }]) {
      const refused = await request(server)
        .post('/v1/tickets')
        .set('authorization', bearer('publisher'))
        .send(newTicket({ metadata: bad }))
        .expect(400);
      expect(refused.body.details.map((d: { field: string }) => d.field)).toEqual(['metadata']);
    }
    const tooMany = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    await request(server)
      .patch(`/v1/tickets/${posted.body.id}`)
      .set('authorization', bearer('agent'))
      .send({ metadata: tooMany })
      .expect(422);
    await sleep(500);
    expect(updates()).toHaveLength(1);
  });

  it('creates tickets from inbound CloudEvents once, and dead-letters bad ones without stopping', async () => {
    const email = `k-${randomUUID()}@example.com`;
    const inbound = JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: 'mail-gateway',
      type: 'ticket.requested',
      data: { channel: 'email', customer: { email }, subject: 'Refund', body: 'Please' },
    });
    await probe.publish(topic(Topic.TicketsInbound), 'garbage');
    await probe.publish(
      topic(Topic.TicketsInbound),
      JSON.stringify({
        specversion: '1.0',
        id: 'bad-1',
        source: 's',
        type: 'ticket.requested',
        data: { channel: 'fax' },
      }),
    );
    await probe.publish(topic(Topic.TicketsInbound), inbound);
    await probe.publish(topic(Topic.TicketsInbound), inbound);

    const db = app.get(DataSource);
    const count = async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM tickets t JOIN customer_identities i ON i.customer_id = t.customer_id WHERE i.value = $1`,
          [email],
        )
      )[0].n as number;
    await waitFor(async () => (await count()) === 1, { description: 'the inbound ticket' });
    const dlq = await waitFor(
      () =>
        probe.on(topic(`${Topic.TicketsInbound}.dlq`)).length >= 2 &&
        probe.on(topic(`${Topic.TicketsInbound}.dlq`)),
    );
    expect(dlq.map((m) => m.headers['dlq-reason']).sort()).toEqual(['invalid_data', 'malformed_json']);
    // Let the duplicate be consumed too, then check it created nothing.
    const marker = JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: 'mail-gateway',
      type: 'ticket.requested',
      data: { channel: 'web', customer: { email: `m-${randomUUID()}@example.com` }, subject: 'm', body: 'm' },
    });
    await probe.publish(topic(Topic.TicketsInbound), marker);
    await waitFor(
      async () => (await db.query(`SELECT count(*)::int AS n FROM tickets WHERE subject = 'm'`))[0].n === 1,
    );
    expect(await count()).toBe(1);
  });

  it('links identities into one customer and shows assignment in the timeline', async () => {
    const server = app.getHttpServer();
    const email = `x-${randomUUID()}@example.com`;
    const first = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ customer: { email } }))
      .expect(201);
    const second = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket({ channel: 'chat', customer: { email: email.toUpperCase(), handle: '@same-person' } }))
      .expect(201);
    expect(second.body.customerId).toBe(first.body.customerId);
    const profile = await request(server)
      .get(`/v1/customers/${first.body.customerId}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(profile.body.identities).toEqual(
      expect.arrayContaining([
        { kind: 'email', value: email },
        { kind: 'handle', value: '@same-person' },
      ]),
    );
    expect(profile.body.tickets).toHaveLength(2);

    const agentId = randomUUID();
    const assigned = buildEvent(
      'ticket.assigned',
      {
        ticketId: first.body.id,
        agentId,
        teamId: null,
        agent: { name: 'Ada', email: 'ada@example.com' },
        reason: 'least-loaded',
        assignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: first.body.id },
    );
    await probe.publish(topic(Topic.AssignmentEvents), serializeEvent(assigned), first.body.id);
    const detail = await waitFor(async () => {
      const res = await request(server)
        .get(`/v1/tickets/${first.body.id}`)
        .set('authorization', bearer('agent'));
      return res.body.assigneeId === agentId && res.body;
    });
    expect(detail.timeline.map((e: { eventType: string }) => e.eventType)).toEqual([
      'ticket.created',
      'ticket.assigned',
    ]);
    expect(JSON.stringify(detail.timeline)).not.toContain('ada@example.com');

    // Overflow hands the ticket to someone else; an offline release takes it from them.
    const nextAgent = randomUUID();
    const reassigned = buildEvent(
      'ticket.reassigned',
      {
        ticketId: first.body.id,
        fromAgentId: agentId,
        agentId: nextAgent,
        teamId: null,
        agent: { name: 'Bea', email: 'bea@example.com' },
        reason: 'no_first_response',
        teamLead: null,
        decision: {
          rule: null,
          teamId: null,
          requiredSkills: [],
          languageRequired: false,
          candidates: [],
          verdicts: {},
        },
        epoch: 2,
        reassignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: first.body.id },
    );
    await probe.publish(topic(Topic.AssignmentEvents), serializeEvent(reassigned), first.body.id);
    const stopped = buildEvent(
      'ticket.overflow.stopped',
      {
        ticketId: first.body.id,
        agentId: nextAgent,
        teamId: null,
        teamLead: { agentId: randomUUID(), name: 'Lena', email: 'lena@example.com' },
        overflows: 1,
        reason: 'no_other_agent',
        epoch: 2,
        stoppedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: first.body.id },
    );
    await probe.publish(topic(Topic.AssignmentEvents), serializeEvent(stopped), first.body.id);
    const unassigned = buildEvent(
      'ticket.unassigned',
      {
        ticketId: first.body.id,
        agentId: nextAgent,
        reason: 'agent_offline',
        unassignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: first.body.id },
    );
    await probe.publish(topic(Topic.AssignmentEvents), serializeEvent(unassigned), first.body.id);
    const released = await waitFor(async () => {
      const res = await request(server)
        .get(`/v1/tickets/${first.body.id}`)
        .set('authorization', bearer('agent'));
      return res.body.timeline.length === 5 && res.body;
    });
    expect(released.assigneeId).toBeNull();
    expect(released.timeline.map((e: { eventType: string }) => e.eventType)).toEqual([
      'ticket.created',
      'ticket.assigned',
      'ticket.reassigned',
      'ticket.overflow.stopped',
      'ticket.unassigned',
    ]);
    expect(released.timeline[3].details).toEqual({
      agentId: nextAgent,
      teamId: null,
      overflows: 1,
      reason: 'no_other_agent',
      epoch: 2,
    });
    expect(JSON.stringify(released.timeline)).not.toContain('lena@example.com');
    expect(detail.messages).toEqual([expect.objectContaining({ author: 'customer', body: 'Merhaba' })]);
  });

  it('records the first public agent reply as the first response and enforces the lifecycle', async () => {
    const server = app.getHttpServer();
    const ticket = await request(server)
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send(newTicket())
      .expect(201);
    const path = `/v1/tickets/${ticket.body.id}`;
    await request(server)
      .post(`${path}/messages`)
      .set('authorization', bearer('agent'))
      .send({ author: 'agent', body: 'note', internal: true })
      .expect(201);
    await request(server)
      .post(`${path}/messages`)
      .set('authorization', bearer('agent'))
      .send({ author: 'agent', agentId: 'a1', body: 'Hello!' })
      .expect(201);
    await request(server)
      .post(`${path}/messages`)
      .set('authorization', bearer('agent'))
      .send({ author: 'agent', agentId: 'a1', body: 'More' })
      .expect(201);
    const events = await waitFor(() => {
      const mine = probe
        .on(topic(Topic.TicketEvents))
        .map((m) => m.json<EventEnvelope<'ticket.message.added'>>())
        .filter((e) => e.subject === ticket.body.id);
      return mine.length >= 5 && mine;
    });
    expect(events.map((e) => e.type)).toEqual([
      'ticket.created',
      'ticket.message.added',
      'ticket.message.added',
      'ticket.status.changed',
      'ticket.message.added',
    ]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(events.filter((e) => e.type === 'ticket.message.added').map((e) => e.data.firstResponse)).toEqual([
      false,
      true,
      false,
    ]);

    await request(server)
      .patch(path)
      .set('authorization', bearer('agent'))
      .send({ status: 'closed' })
      .expect(409);
    await request(server)
      .patch(path)
      .set('authorization', bearer('agent'))
      .send({ status: 'solved', priority: 'urgent' })
      .expect(200);
    const closed = await request(server)
      .patch(path)
      .set('authorization', bearer('agent'))
      .send({ status: 'closed' })
      .expect(200);
    expect(closed.body).toMatchObject({ status: 'closed', priority: 'urgent' });
    const illegal = await request(server)
      .patch(path)
      .set('authorization', bearer('agent'))
      .send({ status: 'open' })
      .expect(409);
    expect(illegal.body.code).toBe('illegal_status_transition');

    const page1 = await request(server)
      .get('/v1/tickets?limit=2')
      .set('authorization', bearer('agent'))
      .expect(200);
    const page2 = await request(server)
      .get(`/v1/tickets?limit=2&cursor=${page1.body.nextCursor}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[1].id);
    expect(Date.parse(page2.body.items[0].createdAt)).toBeLessThanOrEqual(
      Date.parse(page1.body.items[1].createdAt),
    );
  });
});
