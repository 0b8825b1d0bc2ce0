import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { type AnyEvent, type PublisherCredential, Topic } from '@app/contracts';
import { bearer, createSandbox, KafkaProbe, startServiceApp, type TestSandbox, waitFor } from '@app/testing';
import { loadIntakeConfig } from '../../src/config/intake.config';
import { IntakeModule } from '../../src/intake.module';

export interface RawEmail {
  from: string;
  subject?: string;
  body: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  headers?: Record<string, string>;
}

/** An RFC 822 message as a mail gateway would post it. */
export function rawEmail(mail: RawEmail): string {
  const headers: Record<string, string | undefined> = {
    From: mail.from,
    To: 'support@example.com',
    Subject: mail.subject,
    Date: new Date().toUTCString(),
    'Message-ID': mail.messageId ?? `<${randomUUID()}@mail.example.com>`,
    'In-Reply-To': mail.inReplyTo,
    References: mail.references,
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...mail.headers,
  };
  const head = Object.entries(headers)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  return `${head}\r\n\r\n${mail.body.replace(/\n/g, '\r\n')}\r\n`;
}

export interface PublishedEventOptions {
  id?: string;
  source?: string;
  key?: string;
  tenant?: string;
  signAs?: PublisherCredential | null;
}

/** One intake service in-process over a private slice of the real Postgres and Kafka. */
export class IntakeHarness {
  sandbox!: TestSandbox;
  app!: INestApplication;
  readonly probe = new KafkaProbe();
  private readonly extraApps: INestApplication[] = [];

  static async start(overrides: Record<string, string> = {}): Promise<IntakeHarness> {
    const harness = new IntakeHarness();
    harness.sandbox = await createSandbox(overrides);
    harness.app = await harness.startReplica();
    await harness.probe.watch([
      harness.topic(Topic.TicketEvents),
      harness.topic(Topic.CustomerEvents),
      harness.topic(`${Topic.TicketsInbound}.dlq`),
      harness.topic(`${Topic.TicketCommands}.dlq`),
    ]);
    return harness;
  }

  /** Another intake process in the same consumer group: they share the inbound partitions. */
  async startReplica(): Promise<INestApplication> {
    const app = await startServiceApp(IntakeModule.forRoot(loadIntakeConfig(this.sandbox.env)));
    if (this.app) this.extraApps.push(app);
    return app;
  }

  async stop(): Promise<void> {
    await this.probe.close();
    for (const app of [...this.extraApps, this.app]) await app?.close();
    await this.sandbox?.dispose();
  }

  topic(logical: string): string {
    return `${this.sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
  }

  get http() {
    return request(this.app.getHttpServer() as Server);
  }

  get db(): DataSource {
    return this.app.get(DataSource);
  }

  createTicket(body: Record<string, unknown>) {
    return this.http.post('/v1/tickets').set('authorization', bearer('publisher')).send(body);
  }

  email(raw: string | Buffer, contentType = 'message/rfc822') {
    return this.http
      .post('/v1/channels/email')
      .set('authorization', bearer('publisher'))
      .set('content-type', contentType)
      .send(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
  }

  chat(body: Record<string, unknown>) {
    return this.http.post('/v1/channels/chat').set('authorization', bearer('publisher')).send(body);
  }

  ticket(id: string) {
    return this.http.get(`/v1/tickets/${id}`).set('authorization', bearer('agent')).expect(200);
  }

  patch(id: string, body: Record<string, unknown>) {
    return this.http.patch(`/v1/tickets/${id}`).set('authorization', bearer('agent')).send(body);
  }

  message(id: string, body: Record<string, unknown>) {
    return this.http.post(`/v1/tickets/${id}/messages`).set('authorization', bearer('agent')).send(body);
  }

  /**
   * Publishes a CloudEvent on tickets.inbound.v1, signed as the test gateway unless `signAs` says
   * otherwise, and returns its id. Without `tenant` the event names none.
   */
  publishInbound(type: string, data: unknown, options: PublishedEventOptions = {}): Promise<string> {
    return this.publishOn(Topic.TicketsInbound, type, data, options);
  }

  /** Publishes a command on the internal tickets.commands.v1, as another service would. */
  publishCommand(type: string, data: unknown, options: PublishedEventOptions = {}): Promise<string> {
    return this.publishOn(Topic.TicketCommands, type, data, { signAs: null, ...options });
  }

  private async publishOn(
    logical: Topic,
    type: string,
    data: unknown,
    { id = randomUUID(), source = 'test-gateway', key, tenant, signAs }: PublishedEventOptions,
  ): Promise<string> {
    const event = { specversion: '1.0', id, source, type, ...(tenant === undefined ? {} : { tenant }), data };
    await this.probe.publish(this.topic(logical), JSON.stringify(event), key, { signAs });
    return id;
  }

  /** Every event intake published about one ticket, in the order Kafka holds them. */
  eventsOf(ticketId: string): AnyEvent[] {
    return this.probe
      .on(this.topic(Topic.TicketEvents))
      .map((message) => message.json<AnyEvent>())
      .filter((event) => event.subject === ticketId);
  }

  deadLetters(logical: Topic = Topic.TicketsInbound) {
    return this.probe.on(this.topic(`${logical}.dlq`));
  }

  async ticketCount(where = 'true', params: unknown[] = []): Promise<number> {
    const [row] = await this.db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM tickets WHERE ${where}`,
      params,
    );
    return row.n;
  }

  /** Tickets of the customer who owns `email`. */
  async ticketsOfEmail(
    email: string,
  ): Promise<Array<{ id: string; status: string; follow_up_of: string | null }>> {
    return this.db.query(
      `SELECT t.id, t.status, t.follow_up_of FROM tickets t
       JOIN customer_identities i ON i.customer_id = t.customer_id
       WHERE i.kind = 'email' AND i.value = $1 ORDER BY t.created_at`,
      [email.toLowerCase()],
    );
  }

  waitForTicketOf(email: string, count = 1) {
    return waitFor(
      async () => {
        const tickets = await this.ticketsOfEmail(email);
        return tickets.length >= count && tickets;
      },
      { description: `${count} ticket(s) of ${email}` },
    );
  }
}

export const uniqueEmail = (label = 'c') => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** Waits until the consumer group has committed every message on `topic`: all of them were handled. */
export async function waitUntilConsumed(intake: IntakeHarness, logicalTopic: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'test-lag',
    brokers: intake.sandbox.env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topic = intake.topic(logicalTopic);
    const groupId = `${intake.sandbox.env.KAFKA_TOPIC_PREFIX}ticketflow-intake`;
    await waitFor(
      async () => {
        const [ends, [committed]] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        return ends.every(
          (end) => committed.partitions.find((p) => p.partition === end.partition)?.offset === end.high,
        );
      },
      { description: `${groupId} to consume all of ${topic}`, timeoutMs: 60_000, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect();
  }
}
