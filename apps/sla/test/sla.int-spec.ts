import { type INestApplication } from '@nestjs/common';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
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
import { loadSlaConfig } from '../src/config/sla.config';
import { SlaModule } from '../src/sla.module';

type SlaEvent = EventEnvelope<'sla.started'> | EventEnvelope<'sla.breached'> | EventEnvelope<'sla.met'>;

describe('sla over real Postgres, Redis and Kafka', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let probe: KafkaProbe;
  let topic: (logical: string) => string;

  const slaEvents = (ticketId: string) =>
    probe
      .on(topic(Topic.SlaEvents))
      .map((m) => m.json<SlaEvent>())
      .filter((e) => e.data.ticketId === ticketId);

  function ticketCreated(priority: 'normal' | 'urgent' | 'high' = 'urgent') {
    return ticketCreatedEvent({ channel: 'chat', priority, subject: 'Down' });
  }

  const publish = (event: { subject?: string }) =>
    probe.publish(topic(Topic.TicketEvents), serializeEvent(event as never), event.subject);

  beforeAll(async () => {
    sandbox = await createSandbox({ SLA_TIMER_ROUND_MS: '500' });
    topic = (logical) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
    app = await startServiceApp(SlaModule.forRoot(loadSlaConfig(sandbox.env)));
    probe = new KafkaProbe();
    await probe.watch([topic(Topic.SlaEvents)]);
    await request(app.getHttpServer())
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({
        name: 'Urgent',
        match: { priority: 'urgent' },
        targets: { firstResponse: 'PT2S', resolution: 'PT1H' },
      })
      .expect(201);
  });

  afterAll(async () => {
    await probe?.close();
    await app?.close();
    await sandbox?.dispose();
  });

  it('manages versioned policies with validation, roles and tenant isolation', async () => {
    const server = app.getHttpServer();
    const created = await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({
        name: 'Billing',
        match: { category: 'billing' },
        targets: { firstResponse: 'PT4H' },
        position: 500,
      })
      .expect(201);
    expect(created.body).toMatchObject({ version: 1, pauseOn: ['pending', 'on_hold'], warnAt: [0.75] });
    const edited = await request(server)
      .put(`/v1/sla-policies/${created.body.id}`)
      .set('authorization', bearer('admin'))
      .send({ name: 'Billing', match: { category: 'billing' }, targets: { firstResponse: 'PT2H' } })
      .expect(200);
    expect(edited.body).toMatchObject({
      id: created.body.id,
      version: 2,
      targets: { firstResponse: 'PT2H' },
      position: 500,
    });
    const bad = await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({ name: 'x', match: {}, targets: { firstResponse: '2 hours' } })
      .expect(400);
    expect(bad.body.details[0].field).toBe('targets.firstResponse');
    await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('agent'))
      .send({ name: 'x', match: {}, targets: {} })
      .expect(403);
    await request(server)
      .get(`/v1/sla-policies/${created.body.id}`)
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(404);
    await request(server)
      .delete(`/v1/sla-policies/${created.body.id}`)
      .set('authorization', bearer('admin'))
      .expect(204);
    await request(server)
      .get(`/v1/sla-policies/${created.body.id}`)
      .set('authorization', bearer('admin'))
      .expect(404);
  });

  it('refuses escalation webhooks to internal destinations, whatever their spelling', async () => {
    const server = app.getHttpServer();
    const policy = (url: string) => ({
      name: 'Escalating',
      match: { category: 'escalating' },
      targets: { resolution: 'PT4H' },
      escalation: [{ after: 'PT30M', notify: ['team_lead', `webhook:${url}`] }],
    });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.google.internal/',
      'http://localhost:8080/hook',
      'http://127.1/hook',
      'http://0x7f000001/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://10.0.0.1/hook',
      'http://[fd00::1]/hook',
    ]) {
      const refused = await request(server)
        .post('/v1/sla-policies')
        .set('authorization', bearer('admin'))
        .send(policy(url))
        .expect(400);
      expect(refused.body).toMatchObject({
        code: 'validation_failed',
        details: [
          {
            field: 'escalation.0.notify',
            message: expect.stringMatching(/^each webhook of notify must be a public http\(s\) URL: /),
          },
        ],
      });
      expect(JSON.stringify(refused.body)).not.toContain('/hook');
    }
    const accepted = await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send(policy('https://hooks.example.com/escalations'))
      .expect(201);
    expect(accepted.body.escalation[0].notify).toEqual([
      'team_lead',
      'webhook:https://hooks.example.com/escalations',
    ]);
    await request(server)
      .delete(`/v1/sla-policies/${accepted.body.id}`)
      .set('authorization', bearer('admin'))
      .expect(204);
  });

  it('puts a policy created without a position first, in the list and in matching alike', async () => {
    const server = app.getHttpServer();
    const create = (body: Record<string, unknown>) =>
      request(server)
        .post('/v1/sla-policies')
        .set('authorization', bearer('admin'))
        .send({ match: { priority: 'high' }, ...body })
        .expect(201);
    const older = await create({ name: 'High, older', targets: { firstResponse: 'PT1H' }, position: 0 });
    const newest = await create({ name: 'High, newest', targets: { firstResponse: 'PT2H' } });
    const listed = await request(server).get('/v1/sla-policies').set('authorization', bearer('admin'));
    const names = (listed.body as Array<{ name: string }>).map((p) => p.name);
    expect(names[0]).toBe('High, newest');
    expect(names.indexOf('High, older')).toBeGreaterThan(0);
    // Moving the others down to make room is an order change, not a new version.
    const moved = (listed.body as Array<{ id: string; version: number; position: number }>).find(
      (p) => p.id === older.body.id,
    );
    expect(moved).toMatchObject({ version: 1, position: 1 });

    const ticket = ticketCreated('high');
    await publish(ticket);
    const started = await waitFor(
      () =>
        slaEvents(ticket.data.ticketId).find(
          (e): e is EventEnvelope<'sla.started'> =>
            e.type === 'sla.started' && e.data.metric === 'first_response',
        ),
      { description: 'the first-response clock of the high ticket' },
    );
    expect(started.data.policyId).toBe(newest.body.id);

    for (const { body } of [newest, older])
      await request(server)
        .delete(`/v1/sla-policies/${body.id}`)
        .set('authorization', bearer('admin'))
        .expect(204);
  });

  it('keeps policy names unique among the live policies of a tenant', async () => {
    const server = app.getHttpServer();
    const post = (name: string) =>
      request(server)
        .post('/v1/sla-policies')
        .set('authorization', bearer('admin'))
        .send({ name, match: { category: 'names' }, targets: { firstResponse: 'PT4H' }, position: 900 });
    const first = await post('Names').expect(201);
    const twice = await post('Names').expect(409);
    expect(twice.body).toMatchObject({ code: 'sla_policy_name_taken', details: [{ field: 'name' }] });
    const other = await post('Other names').expect(201);
    const renamed = await request(server)
      .put(`/v1/sla-policies/${other.body.id}`)
      .set('authorization', bearer('admin'))
      .send({ name: 'Names', match: { category: 'names' }, targets: { firstResponse: 'PT4H' } })
      .expect(409);
    expect(renamed.body.code).toBe('sla_policy_name_taken');
    // Its own name again is no conflict; another tenant's names are its own.
    await request(server)
      .put(`/v1/sla-policies/${first.body.id}`)
      .set('authorization', bearer('admin'))
      .send({ name: 'Names', match: { category: 'names' }, targets: { firstResponse: 'PT2H' } })
      .expect(200);
    await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('otherTenantAdmin'))
      .send({ name: 'Names', match: { category: 'names' }, targets: {} })
      .expect(201);
    // A retired policy's name is free again.
    for (const { body } of [first, other])
      await request(server)
        .delete(`/v1/sla-policies/${body.id}`)
        .set('authorization', bearer('admin'))
        .expect(204);
    await post('Names').expect(201);
  });

  it('breaches a PT2S first-response target on time, never early, and explains the due time', async () => {
    const ticket = ticketCreated();
    await publish(ticket);
    const started = await waitFor(() =>
      slaEvents(ticket.data.ticketId).find(
        (e) => e.type === 'sla.started' && e.data.metric === 'first_response',
      ),
    );
    const breached = await waitFor(
      () => slaEvents(ticket.data.ticketId).find((e) => e.type === 'sla.breached'),
      {
        description: 'sla.breached',
        timeoutMs: 15_000,
      },
    );
    const dueAt = Date.parse((started as EventEnvelope<'sla.started'>).data.dueAt);
    expect(dueAt - Date.parse(ticket.data.createdAt)).toBe(2_000);
    const breachedAt = Date.parse(breached.data.breachedAt);
    expect(breachedAt).toBeGreaterThanOrEqual(dueAt);
    expect(breachedAt - dueAt).toBeLessThan(5_000);

    const view = await request(app.getHttpServer())
      .get(`/v1/tickets/${ticket.data.ticketId}/sla`)
      .set('authorization', bearer('agent'))
      .expect(200);
    const clock = view.body.clocks.find((c: { metric: string }) => c.metric === 'first_response');
    expect(clock).toMatchObject({ state: 'breached', target: 'PT2S' });
    expect(clock.explanation).toContain(
      `No calendar, so the clock runs around the clock: due = started ${ticket.data.createdAt} + PT2S = ${new Date(dueAt).toISOString()}.`,
    );
    await request(app.getHttpServer())
      .get(`/v1/tickets/${ticket.data.ticketId}/sla`)
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(404);
  });

  it('computes the due time on the policy calendar’s business hours and says how', async () => {
    const server = app.getHttpServer();
    const weekdays = Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [['09:00', '17:00']]]),
    );
    const overlapping = await request(server)
      .post('/v1/calendars')
      .set('authorization', bearer('admin'))
      .send({
        name: 'Bad',
        timezone: 'Europe/Istanbul',
        weekly: {
          mon: [
            ['09:00', '13:00'],
            ['12:00', '17:00'],
          ],
        },
      })
      .expect(400);
    expect(overlapping.body.details[0].field).toBe('weekly');
    await request(server)
      .post('/v1/calendars')
      .set('authorization', bearer('admin'))
      .send({ name: 'Never', timezone: 'Europe/Istanbul', weekly: {} })
      .expect(400);
    const unknownCountry = await request(server)
      .post('/v1/calendars')
      .set('authorization', bearer('admin'))
      .send({ name: 'Nowhere', timezone: 'Europe/Istanbul', weekly: weekdays, country: 'XX' })
      .expect(400);
    expect(unknownCountry.body.details[0].field).toBe('country');
    // The YYYY-MM-DD shape of a day that does not exist: a 400, not Postgres refusing the date as a 500.
    for (const day of ['2026-02-30', '0000-00-00', '2026-13-01']) {
      const noSuchDay = await request(server)
        .post('/v1/calendars')
        .set('authorization', bearer('admin'))
        .send({ name: `No such day ${day}`, timezone: 'Europe/Istanbul', weekly: weekdays, holidays: [day] });
      expect([noSuchDay.status, noSuchDay.body.details]).toEqual([
        400,
        [{ field: 'holidays', message: 'holidays must be real days, such as 2026-10-29' }],
      ]);
    }
    const calendar = await request(server)
      .post('/v1/calendars')
      .set('authorization', bearer('admin'))
      .send({
        name: 'Istanbul office',
        timezone: 'Europe/Istanbul',
        weekly: weekdays,
        holidays: ['2026-10-28'],
        country: 'TR',
      })
      .expect(201);
    expect(calendar.body).toMatchObject({ holidays: ['2026-10-28'], country: 'TR' });
    await request(server)
      .post('/v1/sla-policies')
      .set('authorization', bearer('admin'))
      .send({
        name: 'High on office hours',
        match: { priority: 'high' },
        targets: { firstResponse: 'PT4H' },
        calendarId: calendar.body.id,
        position: 0,
      })
      .expect(201);

    // Friday 27 November 2026, 16:00 in Istanbul (+03:00).
    const ticket = ticketCreated('high');
    ticket.data.createdAt = '2026-11-27T13:00:00.000Z';
    await publish(ticket);
    const started = await waitFor(() =>
      slaEvents(ticket.data.ticketId).find(
        (e) => e.type === 'sla.started' && e.data.metric === 'first_response',
      ),
    );
    expect(started.data).toMatchObject({ target: 'PT4H', dueAt: '2026-11-30T09:00:00.000Z' });
    const view = await request(server)
      .get(`/v1/tickets/${ticket.data.ticketId}/sla`)
      .set('authorization', bearer('agent'))
      .expect(200);
    const [clock] = view.body.clocks;
    expect(clock.explanation).toContain(
      'Calendar "Istanbul office" (Europe/Istanbul, 1 holiday(s), TR public holidays)',
    );
    expect(clock.explanation).toContain('counted Fri 27 Nov 16:00–17:00 (1 h), Mon 30 Nov 09:00–12:00 (3 h)');
    expect(clock.explanation).toContain('due Mon 30 Nov 2026 12:00 +03:00 (2026-11-30T09:00:00.000Z)');
  });

  it('meets the target on a first response and then never breaches', async () => {
    const ticket = ticketCreated();
    await publish(ticket);
    await waitFor(() => slaEvents(ticket.data.ticketId).some((e) => e.type === 'sla.started'));
    const reply = buildEvent(
      'ticket.message.added',
      {
        ticketId: ticket.data.ticketId,
        messageId: randomUUID(),
        author: 'agent',
        agentId: 'a1',
        internal: false,
        firstResponse: true,
        createdAt: new Date().toISOString(),
      },
      { source: 'ticketflow/intake', subject: ticket.data.ticketId },
    );
    await publish(reply);
    await waitFor(() => slaEvents(ticket.data.ticketId).some((e) => e.type === 'sla.met'));
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(slaEvents(ticket.data.ticketId).filter((e) => e.type === 'sla.breached')).toEqual([]);
  });

  it('loses no timer when Redis loses its data, and breaches exactly once', async () => {
    const ticket = ticketCreated();
    await publish(ticket);
    await publish(ticket);
    await waitFor(() => slaEvents(ticket.data.ticketId).some((e) => e.type === 'sla.started'));
    const redis = new Redis(sandbox.env.REDIS_URL);
    try {
      // Only this test's keys: other test files share the Redis server.
      const keys = await redis.keys(`${sandbox.env.REDIS_KEY_PREFIX}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    await waitFor(() => slaEvents(ticket.data.ticketId).some((e) => e.type === 'sla.breached'), {
      description: 'the breach after Redis lost the timer',
      timeoutMs: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const breaches = slaEvents(ticket.data.ticketId).filter(
      (e) => e.type === 'sla.breached' && e.data.metric === 'first_response',
    );
    expect(new Set(breaches.map((e) => e.id)).size).toBe(1);
    const clocks = await app
      .get(DataSource)
      .query('SELECT metric FROM sla_clocks WHERE ticket_id = $1 ORDER BY metric', [ticket.data.ticketId]);
    expect(clocks).toEqual([{ metric: 'first_response' }, { metric: 'resolution' }]);
  });

  it('refuses to start against a Redis that may evict timers', async () => {
    const port = 40_000 + Math.floor(Math.random() * 10_000);
    const unsafe: ChildProcess = spawn('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--maxmemory-policy',
      'allkeys-lru',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    try {
      await waitFor(async () => {
        const client = new Redis({
          port,
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      });
      const config = loadSlaConfig({ ...sandbox.env, REDIS_URL: `redis://127.0.0.1:${port}` });
      await expect(startServiceApp(SlaModule.forRoot(config))).rejects.toThrow(
        /maxmemory-policy is "allkeys-lru"/,
      );
    } finally {
      unsafe.kill('SIGKILL');
    }
  });
});
