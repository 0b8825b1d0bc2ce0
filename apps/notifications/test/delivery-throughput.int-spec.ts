import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { createSandbox, startServiceApp, type TestSandbox, waitFor } from '@app/testing';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { DeliveryLedger } from '../src/deliveries/delivery-ledger';
import { DeliveryQueue } from '../src/deliveries/delivery-queue';
import { NotificationsModule } from '../src/notifications.module';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An SMTP server that takes `delayMs` to accept each message and counts connections and Message-IDs. */
class SlowSink {
  delayMs = 0;
  readonly messageIds: string[] = [];
  openConnections = 0;
  mostConnections = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onConnect: (_session, callback) => {
      this.openConnections += 1;
      this.mostConnections = Math.max(this.mostConnections, this.openConnections);
      callback();
    },
    onClose: () => {
      this.openConnections -= 1;
    },
    onData: (stream, _session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const id = /^message-id:\s*(\S+)/im.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '';
        setTimeout(() => {
          this.messageIds.push(id);
          callback();
        }, this.delayMs);
      });
    },
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.server.address() as AddressInfo).port;
  }

  copiesOf(deliveryId: string): number {
    return this.messageIds.filter((id) => id === `<${deliveryId}@ticketflow>`).length;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('delivery throughput without giving up a promise', () => {
  let sandbox: TestSandbox;
  let sink: SlowSink;
  let app: INestApplication;
  let db: Client;

  const start = () =>
    startServiceApp(
      NotificationsModule.forRoot(
        loadNotificationsConfig({
          ...sandbox.env,
          NOTIFICATIONS_DELIVERY_CONCURRENCY: '16',
          NOTIFICATIONS_SMTP_MAX_CONNECTIONS: '2',
        }),
      ),
    );

  /** Pending customer emails, as claims leave them, queued the way a claim queues them. */
  async function claimed(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const rows = await db.query<{ id: string }>(
        `INSERT INTO deliveries (tenant, ticket_id, reason, epoch, channel, recipient, to_address, locale, subject, body, state)
         VALUES ('default', $1, 'ticket.acknowledgment', 0, 'email', 'customer', $2, 'en', 'Received', 'Body', 'pending')
         RETURNING id`,
        [randomUUID(), `load-${i}@example.com`],
      );
      ids.push(rows.rows[0].id);
    }
    await app
      .get(DeliveryQueue)
      .enqueueClaimed(
        ids.map((deliveryId) => ({ deliveryId, channel: 'email', holdUntil: null, traceparent: null })),
      );
    return ids;
  }

  const states = async (ids: string[]) =>
    (
      await db.query<{ id: string; state: string; attempts: number; last_error: string | null }>(
        'SELECT id, state, attempts, last_error FROM deliveries WHERE id = ANY($1::uuid[])',
        [ids],
      )
    ).rows;

  beforeAll(async () => {
    sink = new SlowSink();
    const smtpPort = await sink.start();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      NOTIFICATIONS_COALESCE_WINDOW: 'PT0S',
    });
    app = await start();
    db = new Client({ connectionString: sandbox.databaseUrl, options: '-c search_path=notifications' });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
    await sink?.stop();
    await sandbox?.dispose();
  });

  it('marks no more emails `sending` ahead of the server than there are SMTP connections, and sends each once', async () => {
    sink.delayMs = 40;
    const ids = await claimed(30);
    let mostAhead = 0;
    await waitFor(
      async () => {
        const rows = await states(ids);
        // `sending` and not yet accepted: what a crash right now would leave unconfirmed.
        const ahead = rows.filter((row) => row.state === 'sending' && sink.copiesOf(row.id) === 0);
        mostAhead = Math.max(mostAhead, ahead.length);
        return rows.every((row) => row.state === 'sent');
      },
      { description: 'every delivery sent', intervalMs: 5, timeoutMs: 30_000 },
    );
    // Up to 16 jobs run at once, but only the two holding a connection are ever marked `sending`.
    expect(mostAhead).toBeGreaterThan(0);
    expect(mostAhead).toBeLessThanOrEqual(2);
    expect(sink.mostConnections).toBeLessThanOrEqual(2);
    for (const id of ids) expect(sink.copiesOf(id)).toBe(1);
    expect((await states(ids)).every((row) => row.attempts === 1)).toBe(true);
  });

  it('queues what one transaction claims together, once it commits, and nothing when it rolls back', async () => {
    const queue = app.get(DeliveryQueue);
    const ledger = app.get(DeliveryLedger);
    const enqueued = jest.spyOn(queue, 'enqueueClaimed');
    const ticketId = randomUUID();
    const claim = (reason: string, to: string) =>
      ({
        claim: { tenant: 'default', ticketId, reason, epoch: 0, recipient: 'customer' as const },
        outgoing: {
          channel: 'email' as const,
          to,
          message: { locale: 'en', subject: reason, body: 'Body' },
        },
      }) as const;
    const claims = [
      claim('one', 'one@example.com'),
      claim('two', 'two@example.com'),
      claim('three', 'three@example.com'),
    ];
    try {
      const ids = await app.get(DataSource).transaction(async (manager) => {
        const claimedIds: Array<string | undefined> = [];
        for (const { claim: c, outgoing } of claims)
          claimedIds.push(await ledger.claim(manager, c, outgoing));
        expect(enqueued).not.toHaveBeenCalled();
        return claimedIds;
      });
      expect(enqueued).toHaveBeenCalledTimes(1);
      expect(enqueued.mock.calls[0][0].map((c) => c.deliveryId)).toEqual(ids);
      await waitFor(async () => (await states(ids as string[])).every((row) => row.state === 'sent'), {
        description: 'the three claimed deliveries sent',
      });

      enqueued.mockClear();
      await expect(
        app.get(DataSource).transaction(async (manager) => {
          await ledger.claim(manager, { ...claims[0].claim, ticketId: randomUUID() }, claims[0].outgoing);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(enqueued).not.toHaveBeenCalled();
    } finally {
      enqueued.mockRestore();
    }
  });

  it('lets the emails in flight finish on shutdown, leaving the rest pending for the next process', async () => {
    sink.delayMs = 150;
    const ids = await claimed(40);
    await waitFor(() => ids.some((id) => sink.copiesOf(id) > 0), { description: 'the first email accepted' });
    const closing = app.close();
    await expect(
      Promise.race([closing.then(() => 'closed'), sleep(15_000).then(() => 'hung')]),
    ).resolves.toBe('closed');
    const rows = await states(ids);
    // Nothing is left `sending`, which would make the next process report it unconfirmed.
    expect(rows.filter((row) => row.state === 'sending')).toEqual([]);
    for (const row of rows) expect(sink.copiesOf(row.id)).toBe(row.state === 'sent' ? 1 : 0);
    // Drained, not cut off: no job in flight had its send refused by a pool closed under it.
    expect(rows.filter((row) => row.last_error !== null)).toEqual([]);
    expect(rows.some((row) => row.state === 'pending')).toBe(true);

    sink.delayMs = 0;
    app = await start();
    await waitFor(async () => (await states(ids)).every((row) => row.state === 'sent'), {
      description: 'the rest sent by the next process',
      timeoutMs: 30_000,
    });
    for (const id of ids) expect(sink.copiesOf(id)).toBe(1);
  });
});
