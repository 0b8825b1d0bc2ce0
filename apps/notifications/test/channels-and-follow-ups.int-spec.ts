import { type INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
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
  SmtpSink,
  startServiceApp,
  type TestSandbox,
  waitFor,
  WebhookReceiver,
  ticketCreatedEvent,
} from '@app/testing';
import { verifySignature } from '../src/channels/webhook-signature';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { NotificationsModule } from '../src/notifications.module';
import { responseTimePhrase } from '../src/templates/render-template';

interface DeliveryView {
  id: string;
  reason: string;
  recipient: string;
  channel: string;
  state: string;
  attempts: number;
  lastError: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INTAKE = 'ticketflow/intake';

/** Webhooks, Slack, templates, follow-ups and surveys over real Postgres, Redis, Kafka, SMTP and HTTP. */
describe('notification channels, templates and follow-ups', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let receiverUrl: string;
  const probe = new KafkaProbe();
  const topic = (logical: string) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
  const http = () => request(app.getHttpServer() as Server);
  const publish = (logical: Topic, event: AnyEvent) =>
    probe.publish(topic(logical), serializeEvent(event), event.subject);

  function ticketCreated(email: string, locale: string | null, metadata?: TicketMetadata) {
    return ticketCreatedEvent({
      subject: 'Siparişim gelmedi',
      language: locale,
      metadata,
      customer: { email, name: 'Ayşe', locale },
    });
  }

  const assigned = (ticketId: string, agent: { id: string; email: string }, lead?: { email: string }) =>
    buildEvent(
      'ticket.assigned',
      {
        ticketId,
        agentId: agent.id,
        teamId: null,
        agent: { name: 'Alex Agent', email: agent.email },
        reason: 'least loaded',
        teamLead: lead ? { agentId: randomUUID(), name: 'Lena Lead', email: lead.email } : null,
        assignedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/routing', subject: ticketId },
    );

  const statusChanged = (ticketId: string, from: TicketStatus, to: TicketStatus) =>
    buildEvent(
      'ticket.status.changed',
      { ticketId, from, to, reason: 'agent', changedAt: new Date().toISOString() },
      { source: INTAKE, subject: ticketId },
    );

  async function deliveries(ticketId: string): Promise<DeliveryView[]> {
    const response = await http()
      .get(`/v1/deliveries?ticketId=${ticketId}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    return response.body.items as DeliveryView[];
  }

  const transitions = (ticketId: string) =>
    probe
      .on(topic(Topic.TicketCommands))
      .map((m) => m.json<EventEnvelope<'ticket.transition.requested'>>())
      .filter((e) => e.type === 'ticket.transition.requested' && e.data.ticketId === ticketId);

  const bodyOf = async (raw: string) => (await simpleParser(raw)).text ?? '';

  beforeAll(async () => {
    sink = new SmtpSink();
    const smtpPort = await sink.start();
    receiver = new WebhookReceiver();
    receiverUrl = await receiver.start();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: 'default:escalation-signing-secret-0001',
      // The receivers here listen on loopback, which webhooks may reach only when allowed.
      NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: '127.0.0.1',
      NOTIFICATIONS_WEBHOOK_ATTEMPTS: '3',
      NOTIFICATIONS_WEBHOOK_BACKOFF_MS: '100',
      ACKNOWLEDGMENT_WAIT: 'PT1S',
      // Each notice on its own here; coalescing, quiet hours and digests have their own tests.
      NOTIFICATIONS_COALESCE_WINDOW: 'PT0S',
      // Seconds enough that a busy machine still gets a solve's next steps in before they are due.
      FOLLOW_UP_SURVEY_AFTER: 'PT4S',
      AUTO_CLOSE_AFTER: 'PT5S',
      PENDING_REMINDER_AFTER: 'PT2S',
      PENDING_AUTO_SOLVE_AFTER: 'PT2S',
      PUBLIC_URL: 'https://support.example.com/',
    });
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
    await probe.watch([topic(Topic.NotificationEvents), topic(Topic.TicketCommands)]);
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await receiver?.stop();
    await sink?.stop();
    await sandbox?.dispose();
  });

  it("acknowledges a Turkish ticket in Turkish, promising SLA's first-response time in the customer's zone", async () => {
    const created = ticketCreated('tr-ack@example.com', 'tr', { timeZone: 'Europe/Istanbul' });
    const { ticketId } = created.data;
    const dueAt = new Date(Date.now() + 4 * 3_600_000);
    await publish(Topic.TicketEvents, created);
    await publish(
      Topic.SlaEvents,
      buildEvent(
        'sla.started',
        {
          ticketId,
          clockId: randomUUID(),
          metric: 'first_response',
          policyId: randomUUID(),
          policyVersion: 1,
          target: 'PT4H',
          startedAt: new Date().toISOString(),
          dueAt: dueAt.toISOString(),
        },
        { source: 'ticketflow/sla', subject: ticketId },
      ),
    );
    const [mail] = await waitFor(
      () => sink.to('tr-ack@example.com').length > 0 && sink.to('tr-ack@example.com'),
    );
    expect(mail.subject).toBe(`[${created.data.reference}] Talebinizi aldık: Siparişim gelmedi`);
    const promised = responseTimePhrase(dueAt, 'tr', 'Europe/Istanbul');
    expect(promised).toMatch(/^en geç .* \(Europe\/Istanbul\)$/);
    expect(await bodyOf(mail.raw)).toContain(`Bir temsilcimiz size ${promised} dönüş yapacak.`);

    // Without an SLA clock the acknowledgment still goes, after its short wait, promising no time.
    const unpromised = ticketCreated('el-ack@example.com', 'el');
    await publish(Topic.TicketEvents, unpromised);
    const [greek] = await waitFor(
      () => sink.to('el-ack@example.com').length > 0 && sink.to('el-ack@example.com'),
    );
    expect(await bodyOf(greek.raw)).toContain('θα σας απαντήσει το συντομότερο δυνατό');
    await sleep(1_500);
    expect(sink.to('tr-ack@example.com')).toHaveLength(1);
    expect(sink.to('el-ack@example.com')).toHaveLength(1);
    // The wait ticket.created started ended when the clock came, not by its job firing later.
    const waits = await app
      .get(DataSource)
      .query<Array<{ state: string; early: boolean }>>(
        `SELECT state, done_at < due_at AS early FROM follow_ups WHERE ticket_id = $1`,
        [ticketId],
      );
    expect(waits.every((wait) => wait.state === 'done' && wait.early)).toBe(true);
  });

  it('signs webhook deliveries verifiably and retries a 500 until the receiver accepts', async () => {
    const created = await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${receiverUrl}/hooks/flaky`, events: ['sla.breached'] })
      .expect(201);
    const { id: webhookId, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const listed = await http().get('/v1/webhooks').set('authorization', bearer('admin')).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    await http().get('/v1/webhooks').set('authorization', bearer('agent')).expect(403);
    await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: 'ftp://example.com', events: ['no.such.event'] })
      .expect(400);

    receiver.answer = (req, index) => (req.path === '/hooks/flaky' && index === 0 ? 500 : 200);
    const ticketId = randomUUID();
    const breached = buildEvent(
      'sla.breached',
      {
        ticketId,
        clockId: randomUUID(),
        metric: 'resolution',
        policyId: randomUUID(),
        policyVersion: 1,
        dueAt: new Date().toISOString(),
        breachedAt: new Date().toISOString(),
      },
      { source: 'ticketflow/sla', subject: ticketId },
    );
    await publish(Topic.SlaEvents, breached);
    await waitFor(() => receiver.to('/hooks/flaky').some((r) => r.status === 200), {
      description: 'the accepted retry',
    });
    const attempts = receiver.to('/hooks/flaky');
    expect(attempts.map((r) => r.status)).toEqual([500, 200]);
    for (const attempt of attempts) {
      expect(verifySignature(secret, attempt.body, String(attempt.headers['ticketflow-signature']))).toBe(
        true,
      );
      expect(
        verifySignature(
          'another-secret-0000000',
          attempt.body,
          String(attempt.headers['ticketflow-signature']),
        ),
      ).toBe(false);
    }
    expect(new Set(attempts.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(JSON.parse(attempts[1].body)).toMatchObject({
      id: breached.id,
      type: 'sla.breached',
      data: { ticketId },
    });
    const [row] = await waitFor(async () => {
      const rows = await deliveries(ticketId);
      return rows[0]?.state === 'sent' && rows;
    });
    expect(row).toMatchObject({
      channel: 'webhook',
      recipient: 'subscriber',
      attempts: 2,
      id: attempts[0].headers['idempotency-key'],
    });
    expect(row.reason).toBe(`webhook.${webhookId}.${breached.id}`);

    // Paused subscriptions receive nothing.
    await http()
      .patch(`/v1/webhooks/${webhookId}`)
      .set('authorization', bearer('admin'))
      .send({ active: false })
      .expect(200);
  });

  it('marks a webhook failed, visibly, when the receiver keeps refusing, and posts text to Slack-compatible hooks', async () => {
    await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${receiverUrl}/hooks/down`, events: ['ticket.status.changed'] })
      .expect(201);
    await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${receiverUrl}/hooks/slack`, events: ['*'], kind: 'slack' })
      .expect(201);
    receiver.answer = (req) => (req.path === '/hooks/down' ? 503 : 200);
    const created = ticketCreated('slack@example.com', 'en');
    const { ticketId } = created.data;
    await publish(Topic.TicketEvents, created);
    await publish(Topic.TicketEvents, statusChanged(ticketId, 'new', 'open'));
    const failed = await waitFor(
      async () =>
        (await deliveries(ticketId)).find((row) => row.channel === 'webhook' && row.state === 'failed'),
      { description: 'the webhook delivery marked failed', timeoutMs: 20_000 },
    );
    expect(failed).toMatchObject({ attempts: 3, lastError: 'The receiver answered HTTP 503' });
    expect(receiver.to('/hooks/down')).toHaveLength(3);
    const slack = await waitFor(() => receiver.to('/hooks/slack').length >= 2 && receiver.to('/hooks/slack'));
    const texts = slack.map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(texts.some((text) => text.includes(`[${created.data.reference}] ticket.status.changed`))).toBe(
      true,
    );
    expect(slack[0].headers['ticketflow-signature']).toBeUndefined();
  });

  it('sends the survey after a solve, records one answer per link, and opens recovery with the lead on a low score', async () => {
    const created = ticketCreated('csat@example.com', 'tr');
    const { ticketId } = created.data;
    const agent = { id: randomUUID(), email: 'csat-agent@agents.example' };
    await publish(Topic.TicketEvents, created);
    await publish(Topic.AssignmentEvents, assigned(ticketId, agent, { email: 'csat-lead@agents.example' }));
    await waitFor(async () =>
      (await deliveries(ticketId)).some((row) => row.reason.startsWith('ticket.assigned')),
    );
    await publish(Topic.TicketEvents, statusChanged(ticketId, 'new', 'open'));
    const solvedAt = Date.now();
    await publish(Topic.TicketEvents, statusChanged(ticketId, 'open', 'solved'));

    const survey = await waitFor(
      () => sink.to('csat@example.com').find((m) => m.subject.includes('çözüldüğünü umuyoruz')),
      { description: 'the survey email' },
    );
    expect(Date.now() - solvedAt).toBeGreaterThanOrEqual(4_000);
    const link = /https:\/\/support\.example\.com\/v1\/surveys\/([A-Za-z0-9_-]{43})/.exec(
      await bodyOf(survey.raw),
    );
    expect(link).not.toBeNull();
    const token = link![1];

    const page = await http().get(`/v1/surveys/${token}?score=1`).expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('<button name="score" value="1" autofocus>');
    await http().post(`/v1/surveys/${token}`).send({ score: 7 }).expect(400);
    await http().post('/v1/surveys/not-a-real-token').send({ score: 3 }).expect(404);
    expect(page.text).toContain('<html lang="tr">');
    expect(page.text).toContain('Talebinizle ilgilenme şeklimizden ne kadar memnunsunuz?');
    // The page's own form, as a browser posts it: a thank-you page in Turkish, not JSON.
    const answered = await http()
      .post(`/v1/surveys/${token}`)
      .type('form')
      .send({ score: '1', comment: 'Took a week' })
      .expect(200);
    expect(answered.headers['content-type']).toContain('text/html');
    expect(answered.text).toContain('Yanıtınız için teşekkür ederiz.');
    const again = await http().post(`/v1/surveys/${token}`).type('form').send({ score: '5' }).expect(409);
    expect(again.text).toContain('yanıtınız zaten kaydedildi');
    const json = await http().post(`/v1/surveys/${token}`).send({ score: 5 }).expect(409);
    expect(json.body.code).toBe('survey_already_answered');

    const event = await waitFor(() =>
      probe
        .on(topic(Topic.NotificationEvents))
        .map((m) => m.json<EventEnvelope<'survey.answered'>>())
        .find((e) => e.type === 'survey.answered' && e.data.ticketId === ticketId),
    );
    expect(event.data).toMatchObject({ score: 1, comment: 'Took a week' });
    const [recovery] = await waitFor(
      () => sink.to('csat-lead@agents.example').length > 0 && sink.to('csat-lead@agents.example'),
    );
    expect(recovery.subject).toBe(`[${created.data.reference}] Unhappy customer: CSAT 1 of 5`);
    expect(await bodyOf(recovery.raw)).toContain('Their comment: Took a week');

    // Nobody answered: the solved ticket is handed back to intake to close.
    const [close] = await waitFor(() => transitions(ticketId).length > 0 && transitions(ticketId), {
      description: 'the auto-close request',
    });
    expect(close.data).toEqual({ ticketId, from: 'solved', to: 'closed', reason: 'auto_close' });
  });

  it('cancels the survey and the auto-close when the ticket is reopened, and tells the assignee', async () => {
    const created = ticketCreated('reopen@example.com', 'en');
    const { ticketId } = created.data;
    await publish(Topic.TicketEvents, created);
    await publish(
      Topic.AssignmentEvents,
      assigned(ticketId, { id: randomUUID(), email: 'reopen-agent@agents.example' }),
    );
    await waitFor(async () =>
      (await deliveries(ticketId)).some((row) => row.reason.startsWith('ticket.assigned')),
    );
    await publish(Topic.TicketEvents, statusChanged(ticketId, 'new', 'solved'));
    await sleep(500);
    await publish(Topic.TicketEvents, statusChanged(ticketId, 'solved', 'open'));
    const notice = await waitFor(() =>
      sink
        .to('reopen-agent@agents.example')
        .find((m) => m.subject.startsWith(`[${created.data.reference}] Reopened`)),
    );
    expect(notice).toBeDefined();
    await sleep(6_000);
    expect(sink.to('reopen@example.com').filter((m) => m.subject.includes('We hope'))).toHaveLength(0);
    expect(transitions(ticketId)).toHaveLength(0);
    const states = await app
      .get(DataSource)
      .query<Array<{ kind: string; state: string }>>(
        `SELECT kind, state FROM follow_ups WHERE ticket_id = $1 ORDER BY kind`,
        [ticketId],
      );
    expect(states).toEqual([
      { kind: 'acknowledgment', state: 'done' },
      { kind: 'auto_close', state: 'cancelled' },
      { kind: 'survey', state: 'cancelled' },
    ]);
  });

  it('runs a due follow-up exactly once after Redis lost every wake-up, and never one that was cancelled', async () => {
    const kept = ticketCreated('kept-after-flush@example.com', 'en');
    const dropped = ticketCreated('dropped-before-flush@example.com', 'en');
    const db = app.get(DataSource);
    const followUps = (ticketId: string) =>
      db.query<Array<{ kind: string; state: string }>>(
        `SELECT kind, state FROM follow_ups WHERE ticket_id = $1 AND kind <> 'acknowledgment' ORDER BY kind`,
        [ticketId],
      );
    await publish(Topic.TicketEvents, kept);
    await publish(Topic.TicketEvents, dropped);
    const solved = statusChanged(kept.data.ticketId, 'new', 'solved');
    await publish(Topic.TicketEvents, solved);
    await publish(Topic.TicketEvents, statusChanged(dropped.data.ticketId, 'new', 'solved'));
    await publish(Topic.TicketEvents, statusChanged(dropped.data.ticketId, 'solved', 'open'));
    await waitFor(
      async () =>
        (await followUps(kept.data.ticketId)).length === 2 &&
        (await followUps(dropped.data.ticketId)).filter((row) => row.state === 'cancelled').length === 2,
      { description: "the solved ticket's survey and auto-close scheduled, the reopened one's cancelled" },
    );

    // As FLUSHALL would, for this sandbox only: other test files share the server.
    const redis = new Redis(sandbox.env.REDIS_URL);
    try {
      const prefix = sandbox.env.REDIS_KEY_PREFIX;
      expect(await redis.zcard(`${prefix}:notification-follow-ups:delayed`)).toBeGreaterThan(0);
      const keys = await redis.keys(`${prefix}:*`);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const lostAt = new Date();
    // Neither follow-up had run yet: only Postgres knows of them now.
    expect(lostAt.getTime()).toBeLessThan(Date.parse(solved.data.changedAt) + 4_000);
    expect(await followUps(kept.data.ticketId)).toEqual([
      { kind: 'auto_close', state: 'scheduled' },
      { kind: 'survey', state: 'scheduled' },
    ]);

    const surveys = (email: string) => sink.to(email).filter((m) => m.subject.includes('We hope'));
    await waitFor(() => surveys('kept-after-flush@example.com').length > 0, { description: 'the survey' });
    await waitFor(() => transitions(kept.data.ticketId).length > 0, {
      description: 'the auto-close request',
    });
    await sleep(1_500);
    expect(surveys('kept-after-flush@example.com')).toHaveLength(1);
    expect(transitions(kept.data.ticketId)).toHaveLength(1);
    const ran = await db.query<Array<{ kind: string; state: string; afterLoss: boolean; onTime: boolean }>>(
      `SELECT kind, state, done_at >= $2 AS "afterLoss", done_at >= due_at AS "onTime"
       FROM follow_ups WHERE ticket_id = $1 AND kind <> 'acknowledgment' ORDER BY kind`,
      [kept.data.ticketId, lostAt],
    );
    expect(ran).toEqual([
      { kind: 'auto_close', state: 'done', afterLoss: true, onTime: true },
      { kind: 'survey', state: 'done', afterLoss: true, onTime: true },
    ]);
    // The reopened ticket's survey and auto-close were due meanwhile, and stayed cancelled.
    expect(surveys('dropped-before-flush@example.com')).toHaveLength(0);
    expect(transitions(dropped.data.ticketId)).toHaveLength(0);
    expect(await followUps(dropped.data.ticketId)).toEqual([
      { kind: 'auto_close', state: 'cancelled' },
      { kind: 'survey', state: 'cancelled' },
    ]);
    // Each acknowledgment, due around the loss, went once too.
    for (const email of ['kept-after-flush@example.com', 'dropped-before-flush@example.com'])
      expect(sink.to(email).filter((m) => m.subject.includes('We received your request'))).toHaveLength(1);
    const [{ left }] = await db.query<Array<{ left: number }>>(
      `SELECT count(*)::int AS left FROM timers WHERE data->>'followUpId' IN (
         SELECT id::text FROM follow_ups WHERE ticket_id = ANY($1::uuid[]))`,
      [[kept.data.ticketId, dropped.data.ticketId]],
    );
    expect(left).toBe(0);
    const metrics = await http().get('/metrics').expect(200);
    expect(
      metrics.text
        .split('\n')
        .filter(
          (line) =>
            line.startsWith('timer_repairs_total{') &&
            line.includes('queue="notification-follow-ups"') &&
            line.includes('reason="redis_lost"'),
        ),
    ).toEqual([expect.stringMatching(/ 1$/)]);
  });

  it('reminds a pending customer, then asks intake to solve the ticket when the reminder goes unanswered', async () => {
    const created = ticketCreated('pending@example.com', 'el');
    const { ticketId } = created.data;
    await publish(Topic.TicketEvents, created);
    await publish(Topic.TicketEvents, statusChanged(ticketId, 'new', 'pending'));
    const reminder = await waitFor(() =>
      sink.to('pending@example.com').find((m) => m.subject.includes('Περιμένουμε την απάντησή σας')),
    );
    expect(reminder).toBeDefined();
    const [solve] = await waitFor(() => transitions(ticketId).length > 0 && transitions(ticketId), {
      description: 'the auto-solve request',
    });
    expect(solve.data).toEqual({ ticketId, from: 'pending', to: 'solved', reason: 'auto_solve' });
  });

  it('copies public agent replies of email tickets to the customer, and notifies the assignee of assignment, warnings and escalations', async () => {
    const created = ticketCreated('reply@example.com', 'tr');
    const { ticketId } = created.data;
    const agent = { id: randomUUID(), email: 'reply-agent@agents.example' };
    await publish(Topic.TicketEvents, created);
    await publish(Topic.AssignmentEvents, assigned(ticketId, agent, { email: 'reply-lead@agents.example' }));
    const reply = (internal: boolean, body: string) =>
      buildEvent(
        'ticket.message.added',
        {
          ticketId,
          messageId: randomUUID(),
          author: 'agent',
          agentId: agent.id,
          internal,
          firstResponse: !internal,
          channel: 'email',
          body: internal ? undefined : body,
          createdAt: new Date().toISOString(),
        },
        { source: INTAKE, subject: ticketId },
      );
    // Topics are not ordered with each other: the replies follow once the assignee is known.
    await waitFor(async () =>
      (await deliveries(ticketId)).some((row) => row.reason.startsWith('ticket.assigned')),
    );
    await publish(Topic.TicketEvents, reply(true, 'internal note'));
    await publish(Topic.TicketEvents, reply(false, 'Kargonuz yarın teslim edilecek.'));
    const copy = await waitFor(() => sink.to('reply@example.com').find((m) => m.subject.startsWith('Ynt:')));
    expect(copy.subject).toBe(`Ynt: [${created.data.reference}] Siparişim gelmedi`);
    expect(await bodyOf(copy.raw)).toContain('Kargonuz yarın teslim edilecek.\n\nAlex Agent');

    const dueAt = new Date(Date.now() + 60_000).toISOString();
    const clockId = randomUUID();
    await publish(
      Topic.SlaEvents,
      buildEvent(
        'sla.warning',
        {
          ticketId,
          clockId,
          metric: 'resolution',
          fraction: 0.75,
          dueAt,
          warnedAt: new Date().toISOString(),
        },
        { source: 'ticketflow/sla', subject: ticketId },
      ),
    );
    receiver.answer = () => 200;
    const named = randomUUID();
    await publish(
      Topic.AgentEvents,
      buildEvent(
        'agent.changed',
        {
          agentId: named,
          name: 'Nora Named',
          email: 'nora@agents.example',
          teamId: null,
          status: 'online',
          removed: false,
          changedAt: new Date().toISOString(),
        },
        { source: 'ticketflow/routing', subject: named },
      ),
    );
    await waitFor(
      async () =>
        (await app.get(DataSource).query(`SELECT 1 FROM agents WHERE agent_id = $1`, [named])).length === 1,
      { description: 'the named agent in the directory' },
    );
    await publish(
      Topic.SlaEvents,
      buildEvent(
        'sla.escalated',
        {
          ticketId,
          clockId,
          metric: 'resolution',
          step: 1,
          after: 'PT30M',
          notify: [
            'assignee',
            'team_lead',
            `agent:${named}`,
            `agent:${randomUUID()}`,
            `webhook:${receiverUrl}/hooks/escalation`,
          ],
          assigneeId: agent.id,
          breachedAt: dueAt,
          escalatedAt: new Date().toISOString(),
        },
        { source: 'ticketflow/sla', subject: ticketId },
      ),
    );
    const subjects = await waitFor(() => {
      const mails = sink.to('reply-agent@agents.example').map((m) => m.subject);
      return mails.length >= 3 && mails;
    });
    expect(subjects.sort()).toEqual(
      [
        `[${created.data.reference}] Assigned to you: Siparişim gelmedi`,
        `[${created.data.reference}] 75% of the resolution time used: due ${dueAt}`,
        `[${created.data.reference}] Escalation step 2: resolution breached at ${dueAt}`,
      ].sort(),
    );
    await waitFor(() => sink.to('reply-lead@agents.example').length === 1);
    const [toNamed] = await waitFor(
      () => sink.to('nora@agents.example').length === 1 && sink.to('nora@agents.example'),
    );
    expect(await bodyOf(toNamed.raw)).toContain('Hello Nora Named');
    const [hook] = await waitFor(
      () => receiver.to('/hooks/escalation').length > 0 && receiver.to('/hooks/escalation'),
    );
    expect(
      verifySignature(
        'escalation-signing-secret-0001',
        hook.body,
        String(hook.headers['ticketflow-signature']),
      ),
    ).toBe(true);
    const rows = await waitFor(async () => {
      const all = await deliveries(ticketId);
      return all.some((row) => row.state === 'skipped') && all;
    });
    expect(rows.find((row) => row.state === 'skipped')?.lastError).toMatch(
      /^agent:.* is not an agent routing has announced$/,
    );
    // The internal note was not copied.
    expect(sink.to('reply@example.com').filter((m) => m.subject.startsWith('Ynt:'))).toHaveLength(1);
  });

  it('lets admins replace a template, preview it against a sample ticket, and restore the shipped one', async () => {
    const server = () => http();
    await server()
      .put('/v1/templates/ticket.acknowledgment/tr')
      .set('authorization', bearer('admin'))
      .send({ subject: '[{{reference}}] Merhaba {{customerName}}', body: '{{unknownThing}}' })
      .expect(400);
    await server()
      .put('/v1/templates/no.such.kind/tr')
      .set('authorization', bearer('admin'))
      .send({ subject: 's', body: 'b' })
      .expect(404);
    await server()
      .put('/v1/templates/ticket.acknowledgment/tr')
      .set('authorization', bearer('agent'))
      .send({ subject: 's', body: 'b' })
      .expect(403);
    await server()
      .put('/v1/templates/ticket.acknowledgment/tr')
      .set('authorization', bearer('admin'))
      .send({ subject: '[{{reference}}] Merhaba {{customerName}}', body: 'Size {{responseTime}} yazacağız.' })
      .expect(200);
    const preview = await server()
      .post('/v1/templates/preview')
      .set('authorization', bearer('admin'))
      .send({
        kind: 'ticket.acknowledgment',
        locale: 'tr',
        values: { customerName: '<script>alert(1)</script>' },
      })
      .expect(200);
    expect(preview.body).toMatchObject({
      source: 'custom',
      locale: 'tr',
      subject: '[TCK-000042] Merhaba <script>alert(1)</script>',
    });
    const draft = await server()
      .post('/v1/templates/preview')
      .set('authorization', bearer('admin'))
      .send({
        kind: 'sla.breached',
        locale: 'de',
        body: 'Due {{dueAt}} for {{agentName}}',
        values: { agentName: 42 },
      })
      .expect(200);
    expect(draft.body).toMatchObject({
      source: 'draft',
      locale: 'en',
      body: 'Due 2026-11-30T09:00:00.000Z for 42',
    });

    const created = ticketCreated('custom-template@example.com', 'tr');
    await publish(Topic.TicketEvents, created);
    const [mail] = await waitFor(
      () => sink.to('custom-template@example.com').length > 0 && sink.to('custom-template@example.com'),
    );
    expect(mail.subject).toBe(`[${created.data.reference}] Merhaba Ayşe`);

    const listed = await server().get('/v1/templates').set('authorization', bearer('admin')).expect(200);
    const ack = (
      listed.body.items as Array<{ kind: string; locales: Array<{ locale: string; source: string }> }>
    ).find((item) => item.kind === 'ticket.acknowledgment');
    expect(ack?.locales).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ locale: 'tr', source: 'custom' }),
        expect.objectContaining({ locale: 'el', source: 'shipped' }),
      ]),
    );
    await server()
      .delete('/v1/templates/ticket.acknowledgment/tr')
      .set('authorization', bearer('admin'))
      .expect(204);
    await server()
      .delete('/v1/templates/ticket.acknowledgment/tr')
      .set('authorization', bearer('admin'))
      .expect(404);
    const restored = await server()
      .post('/v1/templates/preview')
      .set('authorization', bearer('admin'))
      .send({ kind: 'ticket.acknowledgment', locale: 'tr' })
      .expect(200);
    expect(restored.body).toMatchObject({
      source: 'shipped',
      subject: '[TCK-000042] Talebinizi aldık: My order has not arrived',
    });
  });
});
