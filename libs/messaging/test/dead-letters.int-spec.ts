import { Controller, type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { authBlock, databaseBlock, kafkaBlock, loadConfig } from '@app/config';
import { buildEvent, type EventEnvelope, serializeEvent, Topic } from '@app/contracts';
import { DatabaseModule } from '@app/database';
import { HttpPlatformModule } from '@app/http';
import {
  createDeadLetterTable,
  addOutboxTraceparent,
  createMessagingTables,
  DeadLettersModule,
  dropDeadLetterTable,
  dropMessagingTables,
  type EventContext,
  HandlesEvent,
  MessagingModule,
  OutboxMessage,
  parseInboundPublishers,
  ProcessedEvent,
  PublisherDirectory,
} from '@app/messaging';
import { HealthModule, MetricsModule } from '@app/observability';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  startServiceApp,
  type TestSandbox,
  TEST_PUBLISHERS,
  waitFor,
} from '@app/testing';

class DeadLetterProbeTables1700000000000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await createMessagingTables(runner);
    await addOutboxTraceparent(runner);
    await createDeadLetterTable(runner);
    await runner.query('CREATE TABLE probe_effects (ticket_id uuid NOT NULL, event_id text NOT NULL)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE probe_effects');
    await dropDeadLetterTable(runner);
    await dropMessagingTables(runner);
  }
}

/** Stands for a deployed bug: the handler fails on these events until the fix is deployed. */
const bug = { fixed: false };

@Controller()
class FlakyConsumer {
  @HandlesEvent('ticket.queued')
  async onQueued(@Payload() event: EventEnvelope<'ticket.queued'>, @Ctx() ctx: EventContext): Promise<void> {
    if (event.data.reason === 'hits the bug' && !bug.fixed) throw new TypeError('handler bug');
    await ctx.manager.query('INSERT INTO probe_effects (ticket_id, event_id) VALUES ($1, $2)', [
      event.data.ticketId,
      event.id,
    ]);
  }

  /** Never reached in these tests: every inbound record here is refused before its handler. */
  @HandlesEvent('ticket.requested')
  onRequested(): Promise<void> {
    return Promise.resolve();
  }
}

interface DeadLetterItem {
  id: string;
  topic: string;
  tenant: string | null;
  reason: string;
  attempts: number;
  key: string | null;
  value?: string | null;
  headers?: Array<{ name: string; value: string }>;
  replays: number;
}

/**
 * The dead letters API over real Kafka and Postgres: a record dead-lettered by a handler that
 * fails is listed to its tenant (its value to admins only), replayed after the fix and applied
 * once; replaying it again changes nothing.
 */
describe('dead letters over real Kafka and Postgres', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  const probe = new KafkaProbe();
  const physical = (topic: string) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${topic}`;

  function probeModule(): DynamicModule {
    const config = loadConfig(
      { database: databaseBlock('routing'), kafka: kafkaBlock('routing'), auth: authBlock },
      { ...sandbox.env, KAFKA_HANDLER_MAX_ATTEMPTS: '2' },
    );
    @Module({})
    class DeadLetterProbeModule {}
    return {
      module: DeadLetterProbeModule,
      imports: [
        MetricsModule.forRoot({ service: 'probe' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({
          apiKeys: config.auth.apiKeys,
          operatorTenant: config.auth.operatorTenant,
        }),
        DatabaseModule.forRoot({
          database: config.database,
          applicationName: 'dead-letters-int-spec',
          entities: [OutboxMessage, ProcessedEvent],
          migrations: [DeadLetterProbeTables1700000000000],
        }),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [],
          signed: {
            topic: Topic.TicketsInbound,
            publishers: new PublisherDirectory(parseInboundPublishers(sandbox.env.INBOUND_PUBLISHERS)),
          },
        }),
        DeadLettersModule,
      ],
      controllers: [FlakyConsumer],
    };
  }

  const list = async (key: Parameters<typeof bearer>[0], query = '') => {
    const response = await request(app.getHttpServer())
      .get(`/v1/dead-letters${query}`)
      .set('authorization', bearer(key))
      .expect(200);
    return (response.body as { items: DeadLetterItem[] }).items;
  };
  const replay = (key: Parameters<typeof bearer>[0], id: string) =>
    request(app.getHttpServer()).post(`/v1/dead-letters/${id}/replay`).set('authorization', bearer(key));
  const effectsOf = async (eventId: string) =>
    (
      await app
        .get(DataSource)
        .query<Array<{ event_id: string }>>('SELECT event_id FROM probe_effects WHERE event_id = $1', [
          eventId,
        ])
    ).length;

  function queued(reason: string, ticketId: string = randomUUID()) {
    return buildEvent(
      'ticket.queued',
      { ticketId, reason, queuedAt: new Date().toISOString() },
      { source: 'ticketflow/test', subject: ticketId },
    );
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
    app = await startServiceApp(probeModule());
    await probe.watch([physical(Topic.AssignmentEvents), physical(`${Topic.AssignmentEvents}.dlq`)]);
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await sandbox?.dispose();
  });

  it('lists a handler failure to its tenant, replays it after the fix once, and a second replay changes nothing', async () => {
    const failing = queued('hits the bug');
    const value = serializeEvent(failing);
    await probe.publish(physical(Topic.AssignmentEvents), value, failing.subject, {
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });

    const [letter] = await waitFor(
      async () => {
        const mine = (await list('admin')).filter((item) => item.key === failing.subject);
        return mine.length > 0 && mine;
      },
      { description: 'the failing event in the dead letters list', timeoutMs: 30_000 },
    );
    expect(letter).toMatchObject({
      topic: Topic.AssignmentEvents,
      tenant: 'default',
      reason: 'handler_failed',
      attempts: 2,
      replays: 0,
      value: value.toString(),
    });
    expect(letter.headers).toEqual([
      {
        name: 'traceparent',
        value: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        encoding: 'utf8',
      },
    ]);
    // The DLQ has it too: the record was written before the dead letter was produced.
    await waitFor(() =>
      probe.on(physical(`${Topic.AssignmentEvents}.dlq`)).some((m) => m.key === failing.subject),
    );

    const asAgent = (await list('agent')).find((item) => item.id === letter.id);
    expect(asAgent).toMatchObject({ reason: 'handler_failed', attempts: 2, key: failing.subject });
    expect(asAgent).not.toHaveProperty('value');
    expect(asAgent).not.toHaveProperty('headers');
    expect((await list('otherTenantAdmin')).some((item) => item.id === letter.id)).toBe(false);
    expect(await list('admin', `?topic=${Topic.AssignmentEvents}`)).toContainEqual(
      expect.objectContaining({ id: letter.id }),
    );

    // Only an admin of its tenant may replay it.
    await replay('agent', letter.id).expect(403);
    await replay('otherTenantAdmin', letter.id).expect(404);
    await replay('admin', randomUUID()).expect(404);
    await replay('admin', 'not-a-uuid').expect(400);
    expect(await effectsOf(failing.id)).toBe(0);

    bug.fixed = true;
    const first = await replay('admin', letter.id).expect(202);
    expect(first.body).toMatchObject({ id: letter.id, replays: 1 });
    expect(first.body).not.toHaveProperty('value');
    await waitFor(async () => (await effectsOf(failing.id)) === 1, {
      description: 'the replayed event applied',
      timeoutMs: 30_000,
    });

    const second = await replay('admin', letter.id).expect(202);
    expect(second.body).toMatchObject({
      replays: 2,
      replayedBy: expect.stringMatching(/^api-key:/) as string,
    });
    // An event on the same key after the second replay: once it is applied, the replay was consumed.
    const marker = queued('after the replays', failing.data.ticketId);
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(marker), failing.subject);
    await waitFor(async () => (await effectsOf(marker.id)) === 1, { description: 'the marker applied' });
    expect(await effectsOf(failing.id)).toBe(1);
    const inbox = await app
      .get(DataSource)
      .query<Array<{ event_id: string }>>('SELECT event_id FROM processed_events WHERE event_id = $1', [
        failing.id,
      ]);
    expect(inbox).toHaveLength(1);

    // Both replays were the original record, byte for byte, with its headers and without dlq-* ones.
    const copies = await waitFor(
      () => {
        const seen = probe
          .on(physical(Topic.AssignmentEvents))
          .filter((m) => m.key === failing.subject && m.value === value.toString());
        return seen.length >= 3 && seen;
      },
      { description: 'the original and its two replays on the topic' },
    );
    expect(copies).toHaveLength(3);
    for (const copy of copies) {
      expect(copy.headers).toEqual({
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      });
    }
    // Nothing was dead-lettered again.
    expect((await list('admin')).filter((item) => item.key === failing.subject)).toHaveLength(1);
  });

  it('files a refused inbound record under the tenant its signature vouches for, and an unsigned one under none', async () => {
    const inbound = physical(Topic.TicketsInbound);
    const requested = (tenant: string) =>
      JSON.stringify(
        buildEvent(
          'ticket.requested',
          { channel: 'chat', customer: { handle: '@dl' }, subject: 'Help', body: 'Please' },
          { source: 'chat-widget', tenant },
        ),
      );
    const unsigned = randomUUID();
    const forAnotherTenant = randomUUID();
    const invalid = randomUUID();
    await probe.publish(inbound, requested('default'), unsigned, { signAs: null });
    // The other gateway may act in `other` only: refused, and shown to `other`, not to `default`.
    await probe.publish(inbound, requested('default'), forAnotherTenant, {
      signAs: TEST_PUBLISHERS.otherGateway,
    });
    await probe.publish(inbound, '{"specversion":"1.0","data":{}}', invalid, {
      signAs: TEST_PUBLISHERS.gateway,
    });

    const operatorView = await waitFor(
      async () => {
        const items = await list('admin', `?topic=${Topic.TicketsInbound}`);
        return (
          items.some((item) => item.key === invalid) && items.some((item) => item.key === unsigned) && items
        );
      },
      { description: 'the inbound dead letters', timeoutMs: 30_000 },
    );
    expect(operatorView.find((item) => item.key === unsigned)).toMatchObject({
      tenant: null,
      reason: 'unauthenticated',
    });
    expect(operatorView.find((item) => item.key === invalid)).toMatchObject({
      tenant: 'default',
      reason: 'invalid_envelope',
    });

    const otherTenantView = await waitFor(
      async () => {
        const items = await list('otherTenantAdmin', `?topic=${Topic.TicketsInbound}`);
        return items.length > 0 && items;
      },
      { description: "the other tenant's dead letter", timeoutMs: 30_000 },
    );
    expect(otherTenantView).toEqual([
      expect.objectContaining({ key: forAnotherTenant, tenant: 'other', reason: 'refused' }),
    ]);
    expect(
      (await list('admin', `?topic=${Topic.TicketsInbound}`)).some((item) => item.key === forAnotherTenant),
    ).toBe(false);
    const agentView = await list('agent', `?topic=${Topic.TicketsInbound}`);
    expect(agentView.map((item) => item.key)).toEqual([invalid]);
  });

  it('answers bad filters and cursors with a 400', async () => {
    const badTopic = await request(app.getHttpServer())
      .get(`/v1/dead-letters?topic=${Topic.SlaEvents}`)
      .set('authorization', bearer('agent'))
      .expect(400);
    expect(badTopic.body).toMatchObject({ code: 'validation_failed', details: [{ field: 'topic' }] });
    for (const query of ['?topic=nope', '?limit=0', '?limit=201', '?cursor=not-ours'])
      await request(app.getHttpServer())
        .get(`/v1/dead-letters${query}`)
        .set('authorization', bearer('admin'))
        .expect(400);
    await request(app.getHttpServer()).get('/v1/dead-letters').expect(401);
    await request(app.getHttpServer())
      .get('/v1/dead-letters')
      .set('authorization', bearer('publisher'))
      .expect(403);
  });
});
