import { type INestApplication } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { type AnyEvent, buildEvent, type EventEnvelope, serializeEvent, Topic } from '@app/contracts';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  SmtpSink,
  startServiceApp,
  type TestSandbox,
  waitFor,
  ticketCreatedEvent,
} from '@app/testing';
import { MetricsService } from '@app/observability';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { DeliveryTimers } from '../src/deliveries/delivery-timers';
import { NotificationsModule } from '../src/notifications.module';

interface DeliveryView {
  id: string;
  reason: string;
  recipient: string;
  state: string;
  attempts: number;
  locale: string;
  subject: string;
  lastError: string | null;
}

describe('notifications over real Postgres, Redis, Kafka and SMTP', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let probe: KafkaProbe;
  let sink: SmtpSink;
  let topic: (logical: string) => string;

  function ticketCreated(
    customer: { email: string | null; locale?: string | null; name?: string | null },
    language: string | null = null,
  ) {
    return ticketCreatedEvent({ subject: 'Yazıcı çalışmıyor', language, customer });
  }

  const assigned = (ticketId: string, name: string, email: string) =>
    buildEvent(
      'ticket.assigned',
      {
        ticketId,
        agentId: randomUUID(),
        teamId: null,
        agent: { name, email },
        reason: 'least loaded',
        assignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: ticketId },
    );

  const breached = (ticketId: string, dueAt: string) =>
    buildEvent(
      'sla.breached',
      {
        ticketId,
        clockId: randomUUID(),
        metric: 'first_response',
        policyId: randomUUID(),
        policyVersion: 1,
        dueAt,
        breachedAt: dueAt,
      },
      { source: 'ticketflow/sla', subject: ticketId },
    );

  const publish = (logicalTopic: Topic, event: AnyEvent) =>
    probe.publish(topic(logicalTopic), serializeEvent(event), event.subject);

  async function deliveries(ticketId: string): Promise<DeliveryView[]> {
    const response = await request(app.getHttpServer())
      .get(`/v1/deliveries?ticketId=${ticketId}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    return response.body.items as DeliveryView[];
  }

  beforeAll(async () => {
    sink = new SmtpSink();
    const smtpPort = await sink.start();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      // Short, so a delivery whose job Redis lost is found again within the test.
      NOTIFICATIONS_DELIVERY_LEASE: 'PT2S',
      ACKNOWLEDGMENT_WAIT: 'PT1S',
      // Each notice on its own here; coalescing, quiet hours and digests have their own tests.
      NOTIFICATIONS_COALESCE_WINDOW: 'PT0S',
    });
    topic = (logical) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
    probe = new KafkaProbe();
    await probe.watch([topic(Topic.NotificationEvents)]);
  });

  afterAll(async () => {
    await probe?.close();
    await app?.close();
    await sink?.stop();
    await sandbox?.dispose();
  });

  it('acknowledges a new ticket to the customer in their language, once, and records it', async () => {
    const created = ticketCreated({ email: 'ayse@example.com', name: 'Ayşe', locale: 'tr-TR' });
    await publish(Topic.TicketEvents, created);
    const [mail] = await waitFor(
      () => {
        const mails = sink.to('ayse@example.com').filter((m) => m.subject.includes(created.data.reference));
        return mails.length > 0 ? mails : undefined;
      },
      { description: 'the acknowledgment email' },
    );
    expect(mail.header('message-id')).toMatch(/^<[0-9a-f-]{36}@ticketflow>$/);
    expect(mail.subject).toBe(`[${created.data.reference}] Talebinizi aldık: Yazıcı çalışmıyor`);

    const [delivery] = await waitFor(async () => {
      const rows = await deliveries(created.data.ticketId);
      return rows[0]?.state === 'sent' ? rows : undefined;
    });
    expect(delivery).toMatchObject({
      reason: 'ticket.acknowledgment',
      recipient: 'customer',
      locale: 'tr',
      attempts: 1,
    });
    expect(delivery.subject).toBe(`[${created.data.reference}] Talebinizi aldık: Yazıcı çalışmıyor`);
    expect(mail.header('message-id')).toBe(`<${delivery.id}@ticketflow>`);
    const sent = await waitFor(() =>
      probe
        .on(topic(Topic.NotificationEvents))
        .map((m) => m.json<EventEnvelope<'notification.sent'>>())
        .find((e) => e.data.deliveryId === delivery.id),
    );
    expect(sent.data).toMatchObject({
      ticketId: created.data.ticketId,
      reason: 'ticket.acknowledgment',
      recipient: 'customer',
      channel: 'email',
    });
    expect(JSON.stringify(sent)).not.toContain('ayse@example.com');
  });

  it('never sends a second acknowledgment for the same ticket, whatever is redelivered', async () => {
    const created = ticketCreated({ email: 'dup@example.com' }, 'el');
    await publish(Topic.TicketEvents, created);
    await publish(Topic.TicketEvents, created);
    // The same fact re-emitted under a new event id: the ledger, not the inbox, stops this one.
    await publish(Topic.TicketEvents, { ...created, id: randomUUID() });
    await waitFor(() => sink.to('dup@example.com').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sink.to('dup@example.com')).toHaveLength(1);
    expect(sink.to('dup@example.com')[0].raw).toMatch(/Subject: =\?UTF-8\?/);
    const rows = await deliveries(created.data.ticketId);
    expect(rows).toHaveLength(1);
    expect(rows[0].locale).toBe('el');
  });

  it("emails the assignee when the ticket's SLA is breached", async () => {
    const created = ticketCreated({ email: 'breach-customer@example.com' });
    const { ticketId } = created.data;
    const assignment = assigned(ticketId, 'Alice', 'alice@agents.example');
    const { agentId } = assignment.data;
    await publish(Topic.TicketEvents, created);
    await publish(Topic.AssignmentEvents, assignment);
    await waitFor(() => sink.to('breach-customer@example.com').length === 1);
    const dueAt = new Date().toISOString();
    await publish(Topic.SlaEvents, breached(ticketId, dueAt));
    const [mail] = await waitFor(
      () => {
        const mails = sink.to('alice@agents.example').filter((m) => m.subject.includes('SLA breached'));
        return mails.length > 0 ? mails : undefined;
      },
      { description: 'the breach email to the assignee' },
    );
    expect(mail.subject).toBe(`[${created.data.reference}] SLA breached: first response was due ${dueAt}`);
    const reasons = (
      await waitFor(async () => {
        const rows = await deliveries(ticketId);
        return rows.every((row) => row.state === 'sent') && rows.length === 3 ? rows : undefined;
      })
    ).map((row) => `${row.reason}:${row.recipient}`);
    expect(reasons.sort()).toEqual([
      'sla.breached.first_response:assignee',
      `ticket.acknowledgment:customer`,
      `ticket.assigned.${agentId}:assignee`,
    ]);
  });

  it('keeps a breach that came before any assignment for the ticket’s next assignee, and sends it once', async () => {
    const created = ticketCreated({ email: 'early-breach@example.com' });
    const { ticketId } = created.data;
    await publish(Topic.TicketEvents, created);
    const dueAt = new Date().toISOString();
    await publish(Topic.SlaEvents, breached(ticketId, dueAt));
    const [waiting] = await waitFor(async () => {
      const rows = (await deliveries(ticketId)).filter((row) => row.reason === 'sla.breached.first_response');
      return rows.length > 0 ? rows : undefined;
    });
    expect(waiting).toMatchObject({
      state: 'skipped',
      lastError: 'the ticket has no assignee yet: its next assignee is told',
    });

    const assignment = assigned(ticketId, 'Bora', 'bora@agents.example');
    await publish(Topic.AssignmentEvents, assignment);
    const [mail] = await waitFor(
      () => {
        const mails = sink.to('bora@agents.example').filter((m) => m.subject.includes('SLA breached'));
        return mails.length > 0 ? mails : undefined;
      },
      { description: 'the breach email to the later assignee' },
    );
    expect(mail.subject).toBe(`[${created.data.reference}] SLA breached: first response was due ${dueAt}`);
    expect((await simpleParser(mail.raw)).text).toContain('Hello Bora,');
    // The same row, now sent: one row and one message per reason.
    const sent = await waitFor(async () => {
      const rows = (await deliveries(ticketId)).filter((row) => row.reason === 'sla.breached.first_response');
      return rows.length === 1 && rows[0].state === 'sent' ? rows[0] : undefined;
    });
    expect(sent).toMatchObject({ id: waiting.id, recipient: 'assignee', attempts: 1, lastError: null });
    expect(mail.header('message-id')).toBe(`<${waiting.id}@ticketflow>`);

    // A redelivered assignment and a later one to someone else find nothing waiting any more.
    await publish(Topic.AssignmentEvents, { ...assignment, id: randomUUID() });
    await publish(Topic.AssignmentEvents, assigned(ticketId, 'Cem', 'cem@agents.example'));
    await waitFor(() => sink.to('cem@agents.example').length === 1, {
      description: 'the second assignment notice',
    });
    expect(sink.to('cem@agents.example')[0].subject).not.toContain('SLA breached');
    expect(sink.to('bora@agents.example').filter((m) => m.subject.includes('SLA breached'))).toHaveLength(1);
  });

  it('emails one breach notice whichever of a breach and an assignment is applied first', async () => {
    const tickets = Array.from({ length: 6 }, (_, n) => ({
      created: ticketCreated({ email: `race-${n}@example.com` }),
      agentEmail: `race-agent-${n}@agents.example`,
    }));
    for (const { created } of tickets) await publish(Topic.TicketEvents, created);
    await waitFor(async () => {
      for (const { created } of tickets)
        if ((await deliveries(created.data.ticketId)).length === 0) return false;
      return true;
    });
    // Both at once, on their two topics: the consumer may apply them in either order, or together.
    await Promise.all(
      tickets.flatMap(({ created, agentEmail }) => [
        publish(Topic.SlaEvents, breached(created.data.ticketId, new Date().toISOString())),
        publish(Topic.AssignmentEvents, assigned(created.data.ticketId, 'Race', agentEmail)),
      ]),
    );
    for (const { created, agentEmail } of tickets) {
      await waitFor(
        () => sink.to(agentEmail).filter((m) => m.subject.includes('SLA breached')).length === 1,
        { description: `the breach email of ${created.data.reference}` },
      );
      const breach = (await deliveries(created.data.ticketId)).filter((row) =>
        row.reason.startsWith('sla.breached'),
      );
      expect(breach.map((row) => row.state)).toEqual(['sent']);
    }
  });

  it('tells the team lead, once, when a ticket is reassigned for want of a first response', async () => {
    const created = ticketCreated({ email: 'overflow-customer@example.com' });
    const { ticketId } = created.data;
    const first = randomUUID();
    const second = randomUUID();
    await publish(Topic.TicketEvents, created);
    await publish(
      Topic.AssignmentEvents,
      buildEvent(
        'ticket.assigned',
        {
          ticketId,
          agentId: first,
          teamId: null,
          agent: { name: 'Slow Sam', email: 'sam@agents.example' },
          reason: 'least loaded',
          assignedAt: new Date().toISOString(),
        },
        { source: 'ticketflow/routing', subject: ticketId },
      ),
    );
    await waitFor(() => sink.to('overflow-customer@example.com').length === 1);
    const reassigned = buildEvent(
      'ticket.reassigned',
      {
        ticketId,
        fromAgentId: first,
        agentId: second,
        teamId: randomUUID(),
        agent: { name: 'Quick Quinn', email: 'quinn@agents.example' },
        reason: 'no_first_response',
        teamLead: { agentId: randomUUID(), name: 'Lena Lead', email: 'lena@agents.example' },
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
      { source: 'ticketflow/routing', subject: ticketId },
    );
    await publish(Topic.AssignmentEvents, reassigned);
    await publish(Topic.AssignmentEvents, { ...reassigned, id: randomUUID() });
    // Passed on again in a later window: the same slip, not a new thing to tell the lead.
    const third = randomUUID();
    await publish(Topic.AssignmentEvents, {
      ...reassigned,
      id: randomUUID(),
      data: { ...reassigned.data, epoch: 3, fromAgentId: second, agentId: third },
    });
    const [mail] = await waitFor(() => {
      const mails = sink.to('lena@agents.example');
      return mails.length > 0 && mails;
    });
    expect(mail.subject).toBe(
      `[${created.data.reference}] Reassigned to Quick Quinn: no first response in time`,
    );
    expect((await simpleParser(mail.raw)).text).toContain('no first response from Slow Sam');
    await waitFor(async () => {
      const rows = await deliveries(ticketId);
      return (
        rows.some((row) => row.reason === `ticket.assigned.${third}`) &&
        rows.every((row) => row.state === 'sent')
      );
    });
    expect(sink.to('lena@agents.example')).toHaveLength(1);
    const toLead = (await deliveries(ticketId)).filter((row) => row.recipient === 'team_lead');
    expect(toLead.map((row) => row.reason)).toEqual(['ticket.reassigned']);
  });

  it('escalates to the team lead once, in the ticket’s language, when overflow stops for an unanswered ticket', async () => {
    const created = ticketCreated({ email: 'stopped-customer@example.com' }, 'tr');
    const { ticketId } = created.data;
    const agentId = randomUUID();
    await publish(Topic.TicketEvents, created);
    await publish(
      Topic.AssignmentEvents,
      buildEvent(
        'ticket.assigned',
        {
          ticketId,
          agentId,
          teamId: null,
          agent: { name: 'Slow Sam', email: 'stopped-sam@agents.example' },
          reason: 'least loaded',
          assignedAt: new Date().toISOString(),
        },
        { source: 'ticketflow/routing', subject: ticketId },
      ),
    );
    await waitFor(() => sink.to('stopped-customer@example.com').length === 1);
    const stopped = buildEvent(
      'ticket.overflow.stopped',
      {
        ticketId,
        agentId,
        teamId: randomUUID(),
        teamLead: { agentId: randomUUID(), name: 'Leyla Lead', email: 'leyla@agents.example' },
        overflows: 2,
        reason: 'limit_reached',
        epoch: 3,
        stoppedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: ticketId },
    );
    // Delivered twice as it is, once more under another id, and a later series' stop: one email.
    await publish(Topic.AssignmentEvents, stopped);
    await publish(Topic.AssignmentEvents, stopped);
    await publish(Topic.AssignmentEvents, { ...stopped, id: randomUUID() });
    const later = { ...stopped, id: randomUUID(), data: { ...stopped.data, epoch: 5, overflows: 0 } };
    await publish(Topic.AssignmentEvents, later);

    const [mail] = await waitFor(() => {
      const mails = sink.to('leyla@agents.example');
      return mails.length > 0 && mails;
    });
    expect(mail.subject).toBe(`[${created.data.reference}] Sizi bekliyor: Slow Sam üzerinde hâlâ yanıtsız`);
    const text = (await simpleParser(mail.raw)).text;
    expect(text).toContain('Merhaba Leyla Lead');
    expect(text).toContain('2 devirden sonra Slow Sam üzerinde yanıtsız kaldı');
    expect(text).toContain('yönlendirme kuralının izin verdiği kadar devredildi');
    // The last copy is processed once a later event behind it on the same ticket is.
    await publish(
      Topic.AssignmentEvents,
      buildEvent(
        'ticket.unassigned',
        { ticketId, agentId, reason: 'agent_offline', unassignedAt: new Date().toISOString() },
        { source: 'ticketflow/routing', subject: ticketId },
      ),
    );
    await waitFor(async () => {
      const [row] = await app
        .get(DataSource)
        .query<Array<{ done: boolean }>>(
          `SELECT assignee_id IS NULL AS done FROM ticket_contacts WHERE tenant = 'default' AND ticket_id = $1`,
          [ticketId],
        );
      return row?.done === true;
    });
    const toLead = await waitFor(async () => {
      const rows = (await deliveries(ticketId)).filter((row) => row.recipient === 'team_lead');
      return rows.every((row) => row.state === 'sent') && rows;
    });
    expect(toLead).toEqual([
      expect.objectContaining({ reason: 'ticket.overflow.stopped', state: 'sent', locale: 'tr' }),
    ]);
    expect(sink.to('leyla@agents.example')).toHaveLength(1);
  });

  /** Claims a row as the ledger does: the row and its attempt-0 watchdog in one transaction. */
  const openDelivery = (to: string, createdAgo: string, holdUntil: Date | null) =>
    app.get(DataSource).transaction(async (manager) => {
      const [{ id }] = await manager.query<Array<{ id: string }>>(
        `INSERT INTO deliveries (tenant, ticket_id, reason, epoch, channel, recipient, to_address, locale, subject, body, state, hold_until, created_at)
         VALUES ('default', $1, 'ticket.acknowledgment', 0, 'email', 'customer', $2, 'en', 'Lost job', 'Body', 'pending', $3, now() - $4::interval)
         RETURNING id`,
        [randomUUID(), to, holdUntil, createdAgo],
      );
      await app
        .get(DeliveryTimers)
        .arm(manager, [{ data: { deliveryId: id, attempt: 0 }, at: holdUntil ?? new Date() }]);
      return id;
    });
  const repairs = async () => {
    const metric = app.get(MetricsService).registry.getSingleMetric('notification_delivery_repairs_total');
    const { values } = (await metric?.get()) ?? { values: [] };
    return values.reduce((sum, { value }) => sum + value, 0);
  };

  it('sends a pending delivery whose job Redis lost, once, and counts the repair', async () => {
    // A row handed to the queue a minute ago whose job is gone: its watchdog, firing again, finds
    // no live job.
    const before = await repairs();
    const id = await openDelivery('lost-job@example.com', '1 minute', null);
    const [mail] = await waitFor(
      () => {
        const mails = sink.to('lost-job@example.com');
        return mails.length > 0 ? mails : undefined;
      },
      { description: 'the watchdog to send the orphaned delivery' },
    );
    expect(mail.header('message-id')).toBe(`<${id}@ticketflow>`);
    expect(await repairs()).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(sink.to('lost-job@example.com')).toHaveLength(1);
    expect(await repairs()).toBe(before + 1);
  });

  it('sends a held delivery once after every Redis key of the service is deleted', async () => {
    const before = await repairs();
    const holdUntil = new Date(Date.now() + 3_000);
    const id = await openDelivery('after-flush@example.com', '0 seconds', holdUntil);
    // As FLUSHALL would, for this sandbox only: other test files share the server.
    const redis = new Redis(sandbox.env.REDIS_URL);
    try {
      const keys = await redis.keys(`${sandbox.env.REDIS_KEY_PREFIX}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const [mail] = await waitFor(
      () => {
        const mails = sink.to('after-flush@example.com');
        return mails.length > 0 ? mails : undefined;
      },
      { description: 'the held delivery, from Postgres alone', timeoutMs: 15_000 },
    );
    expect(mail.header('message-id')).toBe(`<${id}@ticketflow>`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(sink.to('after-flush@example.com')).toHaveLength(1);
    const [row] = await app
      .get(DataSource)
      .query<Array<{ state: string; attempts: number; onTime: boolean }>>(
        'SELECT state, attempts, sent_at >= hold_until AS "onTime" FROM deliveries WHERE id = $1',
        [id],
      );
    // Not before its hold, though the wake-up Redis held for it was deleted.
    expect(row).toEqual({ state: 'sent', attempts: 1, onTime: true });
    // Handed over when its hold ended, as every held delivery is: no job was lost meanwhile.
    expect(await repairs()).toBe(before);
  });

  it('shows in the ledger why nothing was sent when nobody can be written to', async () => {
    const created = ticketCreated({ email: null });
    await publish(Topic.TicketEvents, created);
    const [row] = await waitFor(async () => {
      const rows = await deliveries(created.data.ticketId);
      return rows.length > 0 ? rows : undefined;
    });
    expect(row).toMatchObject({
      reason: 'ticket.acknowledgment',
      state: 'skipped',
      lastError: 'the customer has no email address',
    });
  });

  it('validates the query and keeps tenants apart', async () => {
    const server = app.getHttpServer();
    const bad = await request(server)
      .get('/v1/deliveries?ticketId=42')
      .set('authorization', bearer('agent'))
      .expect(400);
    expect(bad.body.code).toBe('invalid_id');
    await request(server).get('/v1/deliveries').expect(401);
    const other = await request(server)
      .get('/v1/deliveries')
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(200);
    expect(other.body.items).toEqual([]);
  });

  it('retries a refused send and finally marks the delivery failed, visibly', async () => {
    // A second instance, in its own sandbox, whose SMTP server is not there.
    const closedPort = await (async () => {
      const probeSink = new SmtpSink();
      const port = await probeSink.start();
      await probeSink.stop();
      return port;
    })();
    const failing = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${closedPort}`,
      NOTIFICATIONS_SEND_ATTEMPTS: '2',
    });
    const failingApp = await startServiceApp(
      NotificationsModule.forRoot(loadNotificationsConfig(failing.env)),
    );
    const failingProbe = new KafkaProbe();
    try {
      const created = ticketCreated({ email: 'nobody@example.com' });
      await failingProbe.publish(
        `${failing.env.KAFKA_TOPIC_PREFIX}${Topic.TicketEvents}`,
        serializeEvent(created),
        created.subject,
      );
      const row = await waitFor(
        async () => {
          const response = await request(failingApp.getHttpServer())
            .get(`/v1/deliveries?ticketId=${created.data.ticketId}`)
            .set('authorization', bearer('agent'));
          const found = (response.body.items as DeliveryView[])[0];
          return found?.state === 'failed' ? found : undefined;
        },
        { description: 'the delivery marked failed', timeoutMs: 20_000 },
      );
      expect(row.attempts).toBe(2);
      expect(row.lastError).toMatch(/ECONNREFUSED/);
      // A mail relay that is away degrades the service; it stays ready for its API and consumers.
      const ready = await request(failingApp.getHttpServer()).get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({
        postgres: { status: 'up' },
        kafka: { status: 'up' },
        redis: { status: 'up' },
        smtp: { status: 'degraded' },
      });
      const metrics = await request(failingApp.getHttpServer()).get('/metrics');
      expect(metrics.text).toMatch(/dependency_up\{[^}]*check="smtp"[^}]*\} 0\.5/);
    } finally {
      await failingProbe.close();
      await failingApp.close();
      await failing.dispose();
    }
  });
});
