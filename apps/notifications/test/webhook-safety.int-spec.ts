import { type INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { type AnyEvent, buildEvent, serializeEvent, Topic } from '@app/contracts';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  SmtpSink,
  startServiceApp,
  type TestSandbox,
  waitFor,
  WebhookReceiver,
} from '@app/testing';
import { verifySignature } from '../src/channels/webhook-signature';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { NotificationsModule } from '../src/notifications.module';
import { WebhookSecrets } from '../src/webhooks/webhook-secrets';

interface DeliveryView {
  id: string;
  reason: string;
  channel: string;
  state: string;
  attempts: number;
  to: string | null;
  webhookId: string | null;
  lastError: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TENANT_SECRET = 'default-tenant-escalation-secret';
const OTHER_TENANT_SECRET = 'other-tenant-escalation-secret-1';

/**
 * What outgoing webhooks may reach, and what a receiver can do to the service. The allowed
 * receiver listens on 127.0.0.2, the only destination this configuration opens; a trap receiver on
 * 127.0.0.1 (where `localhost` resolves) records anything that gets through the guard.
 */
describe('webhook safety: destinations, answers, secrets and what agents see', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let receiverUrl: string;
  let trap: WebhookReceiver;
  let trapPort: string;
  let huge: Server;
  let hugeUrl: string;
  const hugeServed = { bytes: 0, closed: false };
  const probe = new KafkaProbe();
  const topic = (logical: string) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
  const http = () => request(app.getHttpServer() as Server);
  const publish = (logical: Topic, event: AnyEvent) =>
    probe.publish(topic(logical), serializeEvent(event), event.subject);

  async function deliveries(ticketId: string, as: 'agent' | 'admin' = 'admin'): Promise<DeliveryView[]> {
    const response = await http()
      .get(`/v1/deliveries?ticketId=${ticketId}`)
      .set('authorization', bearer(as))
      .expect(200);
    return response.body.items as DeliveryView[];
  }

  const breached = (ticketId: string) =>
    buildEvent(
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

  /** A 200 whose body would be 200 MB, written only as fast as the client reads it. */
  function startHugeReceiver(): Promise<string> {
    huge = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const total = 200 * 1024 * 1024;
        const pump = () => {
          while (hugeServed.bytes < total) {
            hugeServed.bytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (hugeServed.closed = true));
        pump();
      });
    });
    return new Promise((resolve) =>
      huge.listen(0, '127.0.0.2', () => resolve(`http://127.0.0.2:${(huge.address() as AddressInfo).port}`)),
    );
  }

  beforeAll(async () => {
    sink = new SmtpSink();
    const smtpPort = await sink.start();
    receiver = new WebhookReceiver();
    receiverUrl = await receiver.start('127.0.0.2');
    trap = new WebhookReceiver();
    trapPort = new URL(await trap.start('127.0.0.1')).port;
    hugeUrl = await startHugeReceiver();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: `default:${TENANT_SECRET},other:${OTHER_TENANT_SECRET}`,
      NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: '127.0.0.2',
      NOTIFICATIONS_SECRETS_KEY: randomBytes(32).toString('base64'),
      NOTIFICATIONS_WEBHOOK_ATTEMPTS: '3',
      NOTIFICATIONS_WEBHOOK_BACKOFF_MS: '100',
      NOTIFICATIONS_COALESCE_WINDOW: 'PT0S',
      ACKNOWLEDGMENT_WAIT: 'PT1S',
    });
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
    await probe.watch([topic(Topic.NotificationEvents)]);
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await receiver?.stop();
    await trap?.stop();
    huge?.closeAllConnections();
    await new Promise((resolve) => (huge ? huge.close(resolve) : resolve(undefined)));
    await sink?.stop();
    await sandbox?.dispose();
  });

  it('refuses internal destinations at registration in any spelling, naming url, unless allowed', async () => {
    for (const url of [
      `http://localhost:${trapPort}/hook`,
      `http://127.0.0.1:${trapPort}/hook`,
      `http://0x7f000001:${trapPort}/hook`,
      `http://[::ffff:127.0.0.1]:${trapPort}/hook`,
      `http://[::1]:${trapPort}/hook`,
      'http://0.0.0.0/hook',
      'http://10.0.0.1/hook',
      'http://100.64.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fd00::1]/hook',
      'http://[fd00:ec2::254]/hook',
    ]) {
      const refused = await http()
        .post('/v1/webhooks')
        .set('authorization', bearer('admin'))
        .send({ url, events: ['sla.breached'] })
        .expect(400);
      expect(refused.body).toMatchObject({
        code: 'webhook_destination_refused',
        details: [{ field: 'url', message: expect.stringContaining('destination') }],
      });
      expect(JSON.stringify(refused.body)).not.toContain('/hook');
    }
    // Spellings the URL syntax check already refuses.
    for (const url of ['ftp://example.com/hook', `http://127.1:${trapPort}/hook`]) {
      const invalid = await http()
        .post('/v1/webhooks')
        .set('authorization', bearer('admin'))
        .send({ url, events: ['sla.breached'] })
        .expect(400);
      expect(invalid.body.details[0].field).toBe('url');
    }

    const created = await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${receiverUrl}/hooks/allowed`, events: ['ticket.status.changed'] })
      .expect(201);
    const id = (created.body as { id: string }).id;
    const moved = await http()
      .patch(`/v1/webhooks/${id}`)
      .set('authorization', bearer('admin'))
      .send({ url: 'http://169.254.169.254/latest/' })
      .expect(400);
    expect(moved.body).toMatchObject({ code: 'webhook_destination_refused', details: [{ field: 'url' }] });

    // Null is not "leave as is": it is a bad value, named.
    for (const field of ['url', 'active', 'events', 'kind', 'secret']) {
      const nulled = await http()
        .patch(`/v1/webhooks/${id}`)
        .set('authorization', bearer('admin'))
        .send({ [field]: null })
        .expect(400);
      expect(nulled.body.code).toBe('validation_failed');
      expect(nulled.body.details.map((d: { field: string }) => d.field)).toEqual(
        expect.arrayContaining([field]),
      );
    }
    const unchanged = await http()
      .get(`/v1/webhooks/${id}`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(unchanged.body).toMatchObject({ url: `${receiverUrl}/hooks/allowed`, active: true, signed: true });
    await http().delete(`/v1/webhooks/${id}`).set('authorization', bearer('admin')).expect(204);
  });

  it('refuses at connect time a name that resolves to loopback, failing the delivery at once; signs each escalation webhook with its tenant’s secret', async () => {
    const ticketId = randomUUID();
    const createdAt = new Date().toISOString();
    for (const tenant of ['default', 'other']) {
      await publish(
        Topic.TicketEvents,
        buildEvent(
          'ticket.created',
          {
            ticketId,
            reference: `TCK-${tenant}`,
            status: 'new',
            channel: 'api',
            priority: 'normal',
            subject: 'Escalating',
            category: null,
            tags: [],
            language: 'en',
            externalId: null,
            customer: { id: randomUUID(), email: null, name: null, locale: null },
            createdAt,
          },
          { source: 'ticketflow/intake', subject: ticketId, tenant },
        ),
      );
    }
    await waitFor(
      async () =>
        (await app.get(DataSource).query(`SELECT 1 FROM ticket_contacts WHERE ticket_id = $1`, [ticketId]))
          .length === 2,
      { description: 'both tenants’ tickets known' },
    );
    const escalated = (tenant: string, notify: string[]) =>
      buildEvent(
        'sla.escalated',
        {
          ticketId,
          clockId: randomUUID(),
          metric: 'resolution',
          step: 0,
          after: 'PT30M',
          notify,
          assigneeId: null,
          breachedAt: createdAt,
          escalatedAt: new Date().toISOString(),
        },
        { source: 'ticketflow/sla', subject: ticketId, tenant },
      );
    // `localhost` passes no registration here: escalation targets come from SLA's policies, and a
    // public name can be rebound to loopback after it was checked. The connect-time guard decides.
    await publish(
      Topic.SlaEvents,
      escalated('default', [
        `webhook:http://localhost:${trapPort}/rebound`,
        `webhook:${receiverUrl}/esc/a`,
        `webhook:${receiverUrl}/esc/b`,
      ]),
    );
    await publish(Topic.SlaEvents, escalated('other', [`webhook:${receiverUrl}/esc/other`]));

    const rows = await waitFor(
      async () => {
        const all = await deliveries(ticketId);
        return (
          all.filter((row) => row.channel === 'webhook').length === 3 &&
          all.every((row) => row.state === 'sent' || row.state === 'failed') &&
          all
        );
      },
      { description: 'the three escalation webhooks settled' },
    );
    const refused = rows.find((row) => row.to?.includes('localhost'));
    expect(refused).toMatchObject({ state: 'failed', attempts: 1 });
    expect(refused?.lastError).toMatch(
      /^Refused: localhost \(127\.0\.0\.1\) is a loopback destination, which webhooks may not reach unless allowed by configuration$/,
    );
    expect(rows.filter((row) => row.state === 'sent')).toHaveLength(2);
    // Not retried: the trap saw nothing, and the row stays at its one attempt.
    await sleep(1_000);
    expect(trap.requests).toHaveLength(0);
    expect((await deliveries(ticketId)).find((row) => row.id === refused?.id)?.attempts).toBe(1);

    for (const path of ['/esc/a', '/esc/b']) {
      const [hook] = await waitFor(() => receiver.to(path).length > 0 && receiver.to(path));
      const signature = String(hook.headers['ticketflow-signature']);
      expect(verifySignature(TENANT_SECRET, hook.body, signature)).toBe(true);
      expect(verifySignature(OTHER_TENANT_SECRET, hook.body, signature)).toBe(false);
    }
    const [other] = await waitFor(() => receiver.to('/esc/other').length > 0 && receiver.to('/esc/other'));
    const otherSignature = String(other.headers['ticketflow-signature']);
    expect(verifySignature(OTHER_TENANT_SECRET, other.body, otherSignature)).toBe(true);
    expect(verifySignature(TENANT_SECRET, other.body, otherSignature)).toBe(false);

    // Agents see where a webhook went by host, never the URL; admins see it whole.
    const asAgent = await deliveries(ticketId, 'agent');
    expect(
      asAgent
        .filter((row) => row.channel === 'webhook')
        .map((row) => row.to)
        .sort(),
    ).toEqual(['127.0.0.2', '127.0.0.2', 'localhost']);
    expect(JSON.stringify(asAgent)).not.toContain('/esc/');
    expect(JSON.stringify(asAgent)).not.toContain('/rebound');
    const asAdmin = await deliveries(ticketId, 'admin');
    expect(asAdmin.map((row) => row.to)).toEqual(expect.arrayContaining([`${receiverUrl}/esc/a`]));
  });

  it('reads no more of an answer than it needs: a 200 MB body is cut off and the delivery is sent', async () => {
    const created = await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${hugeUrl}/huge`, events: ['sla.breached'] })
      .expect(201);
    const ticketId = randomUUID();
    const started = Date.now();
    await publish(Topic.SlaEvents, breached(ticketId));
    const [row] = await waitFor(
      async () => {
        const rows = await deliveries(ticketId);
        return rows[0]?.state === 'sent' && rows;
      },
      { description: 'the delivery to the endless receiver sent' },
    );
    expect(row.webhookId).toBe(created.body.id);
    await waitFor(() => hugeServed.closed, { description: 'the connection dropped by the client' });
    // The socket buffers take a few MB at most before the client's drop is felt; never the 200 MB.
    expect(hugeServed.bytes).toBeLessThan(16 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(10_000);
    await http().delete(`/v1/webhooks/${created.body.id}`).set('authorization', bearer('admin')).expect(204);
  });

  it('keeps subscription secrets sealed at rest and seals rows stored in plain text before', async () => {
    const created = await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${receiverUrl}/hooks/sealed`, events: ['sla.breached'] })
      .expect(201);
    const { id, secret } = created.body as { id: string; secret: string };
    const db = app.get(DataSource);
    const stored = async (webhookId: string) =>
      (await db.query<Array<{ secret: string }>>(`SELECT secret FROM webhooks WHERE id = $1`, [webhookId]))[0]
        .secret;
    expect(await stored(id)).toMatch(/^enc:v1:/);
    expect(await stored(id)).not.toContain(secret);

    // A row from before sealing, in plain text, is sealed when the service starts and still signs.
    const legacySecret = 'whsec_legacy-plain-text-secret-0001';
    const [{ id: legacyId }] = await db.query<Array<{ id: string }>>(
      `INSERT INTO webhooks (tenant, kind, url, events, secret, active)
       VALUES ('default', 'webhook', $1, '{sla.breached}', $2, true) RETURNING id`,
      [`${receiverUrl}/hooks/legacy`, legacySecret],
    );
    await app.get(WebhookSecrets).onApplicationBootstrap();
    expect(await stored(legacyId)).toMatch(/^enc:v1:/);
    expect(await stored(legacyId)).not.toContain(legacySecret);

    await publish(Topic.SlaEvents, breached(randomUUID()));
    for (const [path, key] of [
      ['/hooks/sealed', secret],
      ['/hooks/legacy', legacySecret],
    ]) {
      const [hook] = await waitFor(() => receiver.to(path).length > 0 && receiver.to(path));
      expect(verifySignature(key, hook.body, String(hook.headers['ticketflow-signature']))).toBe(true);
    }
    // A secret that looks sealed would be taken for one.
    const sealedLooking = await http()
      .post('/v1/webhooks')
      .set('authorization', bearer('admin'))
      .send({ url: `${receiverUrl}/x`, events: ['sla.breached'], secret: 'enc:v1:aaaaaaaaaaaaaaaaaaaa' })
      .expect(400);
    expect(sealedLooking.body.details[0].field).toBe('secret');
  });
});
