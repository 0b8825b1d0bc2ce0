import { type INestApplication } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import request from 'supertest';
import { type AnyEvent, buildEvent, serializeEvent, Topic } from '@app/contracts';
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
import { DataSource } from 'typeorm';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { NotificationsModule } from '../src/notifications.module';
import { afterQuietHours } from '../src/recipients/delivery-timing';

interface DeliveryView {
  id: string;
  reason: string;
  state: string;
  holdUntil: string | null;
  sentWith: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Coalescing, digests and quiet hours, over real Postgres, Redis, Kafka and SMTP. */
describe('quiet and tidy staff notifications', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let sink: SmtpSink;
  const probe = new KafkaProbe();
  const http = () => request(app.getHttpServer() as Server);
  const publish = (logical: Topic, event: AnyEvent) =>
    probe.publish(`${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`, serializeEvent(event), event.subject);

  function ticketCreated() {
    return ticketCreatedEvent({ subject: 'Printer jam', language: 'en' });
  }

  const assigned = (ticketId: string, agentEmail: string) =>
    buildEvent(
      'ticket.assigned',
      {
        ticketId,
        agentId: randomUUID(),
        teamId: null,
        agent: { name: 'Alex', email: agentEmail },
        reason: 'least loaded',
        teamLead: null,
        assignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: ticketId },
    );

  const reassigned = (ticketId: string, leadEmail: string) =>
    buildEvent(
      'ticket.reassigned',
      {
        ticketId,
        fromAgentId: randomUUID(),
        agentId: randomUUID(),
        teamId: randomUUID(),
        agent: { name: 'Quinn', email: `quinn-${randomUUID()}@agents.example` },
        reason: 'no_first_response',
        teamLead: { agentId: randomUUID(), name: 'Lena', email: leadEmail },
        epoch: 2,
        decision: {
          rule: null,
          teamId: null,
          requiredSkills: [],
          languageRequired: false,
          candidates: [],
          verdicts: {},
        },
        reassignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: ticketId },
    );

  const warning = (ticketId: string, fraction: number) =>
    buildEvent(
      'sla.warning',
      {
        ticketId,
        clockId: randomUUID(),
        metric: 'first_response',
        fraction,
        dueAt: new Date(Date.now() + 600_000).toISOString(),
        warnedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/sla', subject: ticketId },
    );

  async function deliveries(ticketId: string): Promise<DeliveryView[]> {
    const response = await http()
      .get(`/v1/deliveries?ticketId=${ticketId}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    return response.body.items as DeliveryView[];
  }

  const preferences = (body: Record<string, unknown>) =>
    http().put('/v1/recipient-preferences').set('authorization', bearer('admin')).send(body);

  beforeAll(async () => {
    sink = new SmtpSink();
    const smtpPort = await sink.start();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ACKNOWLEDGMENT_WAIT: 'PT1S',
      NOTIFICATIONS_COALESCE_WINDOW: 'PT4S',
      NOTIFICATIONS_DIGEST_INTERVAL: 'PT4S',
      // Short: a watchdog that took a held delivery for lost would show within the test.
      NOTIFICATIONS_DELIVERY_LEASE: 'PT1S',
    });
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await sink?.stop();
    await sandbox?.dispose();
  });

  it('coalesces a burst of notices to one agent about one ticket into a single email', async () => {
    const created = ticketCreated();
    const { ticketId } = created.data;
    const agent = `burst-${randomUUID()}@agents.example`;
    await publish(Topic.TicketEvents, created);
    // Topics are not ordered with each other: the assignment follows once the ticket is known (its
    // reference and subject are in the subject line), the warnings once the assignee is.
    await waitFor(async () => (await deliveries(ticketId)).length > 0, { description: 'the ticket known' });
    await publish(Topic.AssignmentEvents, assigned(ticketId, agent));
    await waitFor(async () =>
      (await deliveries(ticketId)).some((row) => row.reason.startsWith('ticket.assigned')),
    );
    await publish(Topic.SlaEvents, warning(ticketId, 0.5));
    await publish(Topic.SlaEvents, warning(ticketId, 0.75));
    const [mail] = await waitFor(() => sink.to(agent).length > 0 && sink.to(agent), {
      description: 'the coalesced email',
    });
    await sleep(3_000);
    expect(sink.to(agent)).toHaveLength(1);
    expect(mail.subject).toBe(`[${created.data.reference}] Assigned to you: Printer jam (+2 more)`);
    const text = (await simpleParser(mail.raw)).text ?? '';
    expect(text).toContain('50% of the first response time used');
    expect(text).toContain('75% of the first response time used');

    const rows = (await deliveries(ticketId)).filter((row) => row.reason !== 'ticket.acknowledgment');
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.state === 'sent')).toBe(true);
    const lead = rows.find((row) => row.sentWith === null);
    expect(mail.header('message-id')).toBe(`<${lead?.id}@ticketflow>`);
    expect(rows.filter((row) => row.sentWith === lead?.id)).toHaveLength(2);
  });

  it("gathers a team lead's notifications into one digest per interval when they chose digests", async () => {
    const lead = `digest-${randomUUID()}@agents.example`;
    await preferences({ email: lead, digest: true }).expect(200);
    const first = ticketCreated();
    const second = ticketCreated();
    for (const created of [first, second]) {
      await publish(Topic.TicketEvents, created);
      await waitFor(async () => (await deliveries(created.data.ticketId)).length > 0, {
        description: 'the ticket known',
      });
    }
    // Start right after a digest boundary, so both land in the same 4-second digest.
    await waitFor(() => Date.now() % 4_000 < 300, { intervalMs: 20 });
    for (const created of [first, second])
      await publish(Topic.AssignmentEvents, reassigned(created.data.ticketId, lead));
    const [digest] = await waitFor(() => sink.to(lead).length > 0 && sink.to(lead), {
      description: 'the digest',
      timeoutMs: 15_000,
    });
    expect(digest.subject).toBe('Digest: 2 notifications');
    const text = (await simpleParser(digest.raw)).text ?? '';
    expect(text).toContain(first.data.reference);
    expect(text).toContain(second.data.reference);
    const [row] = (await deliveries(first.data.ticketId)).filter((r) => r.reason === 'ticket.reassigned');
    // Held to a whole multiple of the 4-second interval.
    expect(Date.parse(row.holdUntil ?? '') % 4_000).toBe(0);
    await sleep(1_000);
    expect(sink.to(lead)).toHaveLength(1);
  });

  it('holds notices during the recipient’s quiet hours until they end', async () => {
    const agent = `quiet-${randomUUID()}@agents.example`;
    // Quiet from a minute ago until two hours from now, in UTC.
    const now = new Date();
    const hhmm = (date: Date) => date.toISOString().slice(11, 16);
    const quietHours = {
      from: hhmm(new Date(now.getTime() - 60_000)),
      to: hhmm(new Date(now.getTime() + 7_200_000)),
      timeZone: 'UTC',
    };
    const saved = await preferences({ email: agent.toUpperCase(), quietHours }).expect(200);
    expect(saved.body).toMatchObject({ email: agent, quietHours, digest: false });
    await preferences({ email: agent, quietHours: { ...quietHours, timeZone: 'Mars/Olympus' } }).expect(400);
    await preferences({ email: 'not-an-address', digest: true }).expect(400);
    await http().get('/v1/recipient-preferences').set('authorization', bearer('agent')).expect(403);

    const created = ticketCreated();
    await publish(Topic.TicketEvents, created);
    await publish(Topic.AssignmentEvents, assigned(created.data.ticketId, agent));
    const [row] = await waitFor(async () => {
      const rows = (await deliveries(created.data.ticketId)).filter((r) =>
        r.reason.startsWith('ticket.assigned'),
      );
      return rows.length > 0 && rows;
    });
    const expected = afterQuietHours(new Date(Date.now() + 4_000), quietHours);
    expect(Math.abs(Date.parse(row.holdUntil ?? '') - expected.getTime())).toBeLessThan(60_000);
    expect(Date.parse(row.holdUntil ?? '')).toBeGreaterThan(Date.now() + 3_600_000);
    await sleep(5_000);
    expect(sink.to(agent)).toHaveLength(0);
    expect((await deliveries(created.data.ticketId)).find((r) => r.id === row.id)?.state).toBe('pending');
    // It waits in Postgres alone, its watchdog due when the hold ends, and nothing took it for lost.
    const timers = await app
      .get(DataSource)
      .query<Array<{ dueAt: Date }>>(
        `SELECT due_at AS "dueAt" FROM timers WHERE queue = 'notification-delivery-timers' AND data->>'deliveryId' = $1`,
        [row.id],
      );
    expect(timers.map((timer) => timer.dueAt.toISOString())).toEqual([row.holdUntil]);
    const metric = app.get(MetricsService).registry.getSingleMetric('notification_delivery_repairs_total');
    expect(((await metric?.get())?.values ?? []).reduce((sum, { value }) => sum + value, 0)).toBe(0);
  });
});
