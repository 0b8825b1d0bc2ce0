import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type AnyEvent, buildEvent, serializeEvent, Topic } from '@app/contracts';
import { createSandbox, KafkaProbe, startServiceApp, type TestSandbox, waitFor } from '@app/testing';
import { DataSource } from 'typeorm';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { MetricsService } from '@app/observability';
import { DeliveryWatchdog } from '../src/deliveries/delivery-watchdog';
import { NotificationsModule } from '../src/notifications.module';

interface Row {
  id: string;
  reason: string;
  state: string;
  attempts: number;
  batch_key: string | null;
  hold_until: Date | null;
  created_at: Date;
}

const ATTEMPTS = 4;

/** A port on loopback with nothing listening: every connection to it is refused. */
async function refusingPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Retries against an SMTP relay that is down, counted in Postgres, over real Postgres, Redis and Kafka. */
describe('delivery retries with the relay down', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  const probe = new KafkaProbe();
  const publish = (logical: Topic, event: AnyEvent) =>
    probe.publish(`${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`, serializeEvent(event), event.subject);
  const rowsOf = (ticketId: string) =>
    app
      .get(DataSource)
      .query<Row[]>(
        'SELECT id, reason, state, attempts, batch_key, hold_until, created_at FROM deliveries WHERE ticket_id = $1',
        [ticketId],
      );
  let repairWarnings: unknown[] = [];
  const repairs = async () => {
    const metric = app.get(MetricsService).registry.getSingleMetric('notification_delivery_repairs_total');
    const { values } = (await metric?.get()) ?? { values: [] };
    return values.reduce((sum, { value }) => sum + value, 0);
  };
  const start = async () => {
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
    repairWarnings = [];
    // The watchdog's own logger: the repair warning is the only one it writes.
    const { logger } = app.get<DeliveryWatchdog, { logger: { warn: (entry: unknown) => void } }>(
      DeliveryWatchdog,
    );
    const warn = logger.warn.bind(logger);
    logger.warn = (entry: unknown) => {
      repairWarnings.push(entry);
      warn(entry);
    };
  };

  beforeAll(async () => {
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${await refusingPort()}`,
      NOTIFICATIONS_SEND_ATTEMPTS: String(ATTEMPTS),
      NOTIFICATIONS_SEND_BACKOFF_MS: '1500',
      NOTIFICATIONS_SEND_BACKOFF_MAX_MS: '3000',
      // Short, so watchdogs fire again and again while rows wait out their backoffs.
      NOTIFICATIONS_DELIVERY_LEASE: 'PT1S',
      ACKNOWLEDGMENT_WAIT: 'PT1S',
      NOTIFICATIONS_COALESCE_WINDOW: 'PT1S',
      NOTIFICATIONS_DIGEST_INTERVAL: 'PT1S',
    });
    await start();
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await sandbox?.dispose();
  });

  it('stops every row at the attempt bound, batched staff notices too, backing off between tries', async () => {
    const ticketId = randomUUID();
    const meta = (source: string) => ({ source, subject: ticketId });
    await publish(
      Topic.TicketEvents,
      buildEvent(
        'ticket.created',
        {
          ticketId,
          reference: 'TCK-424242',
          status: 'new',
          channel: 'email',
          priority: 'normal',
          subject: 'Relay down',
          category: null,
          tags: [],
          language: 'en',
          externalId: null,
          customer: { id: randomUUID(), email: 'customer-retry@example.com', name: null, locale: null },
          createdAt: new Date().toISOString(),
        },
        meta('ticketflow/intake'),
      ),
    );
    await publish(
      Topic.AssignmentEvents,
      buildEvent(
        'ticket.assigned',
        {
          ticketId,
          agentId: randomUUID(),
          teamId: null,
          agent: { name: 'Alex', email: 'alex-retry@agents.example' },
          reason: 'least loaded',
          teamLead: null,
          assignedAt: new Date().toISOString(),
        },
        meta('ticketflow/routing'),
      ),
    );
    await waitFor(async () =>
      (await rowsOf(ticketId)).some((row) => row.reason.startsWith('ticket.assigned')),
    );
    for (const fraction of [0.5, 0.75])
      await publish(
        Topic.SlaEvents,
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
          meta('ticketflow/sla'),
        ),
      );
    await waitFor(async () => (await rowsOf(ticketId)).length === 4, { description: 'four claims' });

    // Rows tried and now waiting out a backoff, a batch's companions too: their watchdogs fire
    // through the wait and after it, and none takes a row waiting for its next attempt for lost.
    await waitFor(
      async () => {
        const rows = await rowsOf(ticketId);
        const pastGrace = rows.every((row) => row.created_at.getTime() < Date.now() - 5_500);
        const waitingBatched = rows.filter(
          (row) =>
            row.batch_key !== null &&
            row.state === 'pending' &&
            row.attempts >= 1 &&
            (row.hold_until?.getTime() ?? 0) > Date.now() + 300,
        );
        return pastGrace && waitingBatched.length >= 2;
      },
      { description: 'batched rows waiting out a retry', timeoutMs: 20_000 },
    );
    expect(await repairs()).toBe(0);
    expect(repairWarnings).toEqual([]);

    const failed = await waitFor(
      async () => {
        const rows = await rowsOf(ticketId);
        return rows.every((row) => row.state === 'failed') && rows;
      },
      { description: 'every row to fail for good', timeoutMs: 40_000 },
    );
    expect(failed.map((row) => row.attempts)).toEqual([ATTEMPTS, ATTEMPTS, ATTEMPTS, ATTEMPTS]);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await rowsOf(ticketId)).map((row) => [row.state, row.attempts])).toEqual(
      failed.map(() => ['failed', ATTEMPTS]),
    );
    // Every wait and every attempt went by without a single repair, and settled rows keep no timer.
    expect(await repairs()).toBe(0);
    expect(repairWarnings).toEqual([]);
    const armed = await app
      .get(DataSource)
      .query<unknown[]>(
        `SELECT id FROM timers WHERE queue = 'notification-delivery-timers' AND data->>'deliveryId' = ANY($1)`,
        [failed.map((row) => row.id)],
      );
    expect(armed).toEqual([]);
  });

  it('keeps counting across a restart: attempts made before it count against the bound', async () => {
    await app.close();
    const ticketId = randomUUID();
    // What a process that died after three failed tries of a batch leaves: open rows, three attempts
    // each, with the timers of their next attempts armed.
    const db = new DataSource({ type: 'postgres', url: sandbox.env.DATABASE_URL });
    await db.initialize();
    try {
      for (const reason of ['ticket.assigned.x', 'sla.warning.first_response.0.5']) {
        const [{ id }] = await db.query<Array<{ id: string }>>(
          `INSERT INTO notifications.deliveries (tenant, ticket_id, reason, epoch, channel, recipient, to_address, locale,
             subject, body, state, attempts, batch_key, created_at)
           VALUES ('default', $1, $2, 0, 'email', 'assignee', 'restart@agents.example', 'en', 'S', 'B',
             'pending', $3, $4, now() - interval '1 minute')
           RETURNING id`,
          [ticketId, reason, ATTEMPTS - 1, `ticket:${ticketId}`],
        );
        await db.query(
          `INSERT INTO notifications.timers (queue, id, due_at, data)
           VALUES ('notification-delivery-timers', $1, now(), $2) ON CONFLICT DO NOTHING`,
          [`delivery-${id}-${ATTEMPTS - 1}`, { deliveryId: id, attempt: ATTEMPTS - 1 }],
        );
      }
    } finally {
      await db.destroy();
    }
    await start();
    const rows = await waitFor(
      async () => {
        const found = await rowsOf(ticketId);
        return found.every((row) => row.state === 'failed') && found;
      },
      { description: 'the restarted worker to try once more and stop', timeoutMs: 20_000 },
    );
    expect(rows.map((row) => row.attempts)).toEqual([ATTEMPTS, ATTEMPTS]);
  });
});
