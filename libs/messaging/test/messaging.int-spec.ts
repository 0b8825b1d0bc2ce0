import { Controller, type INestApplication, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { databaseBlock, kafkaBlock, loadConfig } from '@app/config';
import { buildEvent, type EventEnvelope, serializeEvent, Topic } from '@app/contracts';
import { DatabaseModule } from '@app/database';
import {
  createDeadLetterTable,
  addOutboxTraceparent,
  createMessagingTables,
  dropDeadLetterTable,
  dropMessagingTables,
  type EventContext,
  MessagingModule,
  OutboxMessage,
  OutboxWriter,
  ProcessedEvent,
  startEventConsumers,
  HandlesEvent,
  KafkaEventTransport,
} from '@app/messaging';
import { HealthModule, MetricsModule, MetricsService } from '@app/observability';
import { createSandbox, KafkaProbe, type TestSandbox, waitFor } from '@app/testing';

class ProbeTables1700000000000 implements MigrationInterface {
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

/** Until it is called, an event whose reason is `hold` keeps its batch, and so its offsets, uncommitted. */
let releaseHeld: () => void = () => undefined;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));

/** The transport's session timeout: a member silent for longer is dropped from its group. */
const SESSION_TIMEOUT_MS = 10_000;
/** Events whose `stall-once` has already stalled a handler; a redelivery goes straight through. */
const stalled = new Set<string>();

/**
 * Records each applied event; a reason of `always-fail` makes the handler throw like a bug would,
 * and `stall-once` keeps the first delivery past the session timeout, without a heartbeat.
 */
@Controller()
class ProbeConsumer {
  @HandlesEvent('ticket.queued')
  async onQueued(@Payload() event: EventEnvelope<'ticket.queued'>, @Ctx() ctx: EventContext): Promise<void> {
    if (event.data.reason === 'always-fail') throw new TypeError('handler bug');
    if (event.data.reason === 'hold') await held;
    if (event.data.reason === 'stall-once' && !stalled.has(event.id)) {
      stalled.add(event.id);
      await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS + 5_000));
    }
    await ctx.manager.query('INSERT INTO probe_effects (ticket_id, event_id) VALUES ($1, $2)', [
      event.data.ticketId,
      event.id,
    ]);
    // Its effect is written, then the handler fails: the effect must roll back with it.
    if (event.data.reason === 'fail-after-write') throw new RangeError('handler bug after a write');
  }
}

function queued(reason = 'no agent') {
  const ticketId = randomUUID();
  return buildEvent(
    'ticket.queued',
    { ticketId, reason, queuedAt: new Date().toISOString() },
    {
      source: 'ticketflow/test',
      subject: ticketId,
    },
  );
}

describe('messaging over real Kafka and Postgres', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let dataSource: DataSource;
  let probe: KafkaProbe;
  let physical: (topic: string) => string;
  /** What the consumer reported as beyond repair; the service would have exited on each. */
  const fatalErrors: unknown[] = [];

  async function startApp(): Promise<INestApplication> {
    const config = loadConfig(
      { database: databaseBlock('routing'), kafka: kafkaBlock('routing') },
      { ...sandbox.env, KAFKA_HANDLER_MAX_ATTEMPTS: '3' },
    );
    @Module({
      imports: [
        MetricsModule.forRoot({ service: 'probe' }),
        HealthModule.forRoot(),
        DatabaseModule.forRoot({
          database: config.database,
          applicationName: 'messaging-int-spec',
          entities: [OutboxMessage, ProcessedEvent],
          migrations: [ProbeTables1700000000000],
        }),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [Topic.AssignmentEvents],
          onFatal: (error) => fatalErrors.push(error),
        }),
      ],
      controllers: [ProbeConsumer],
    })
    class ProbeModule {}
    const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    const nestApp = moduleRef.createNestApplication({ logger: ['error'] });
    await nestApp.init();
    await startEventConsumers(nestApp);
    return nestApp;
  }

  async function effects(): Promise<Array<{ ticket_id: string; event_id: string }>> {
    return dataSource.query('SELECT ticket_id, event_id FROM probe_effects');
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
    physical = (topic) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${topic}`;
    app = await startApp();
    dataSource = app.get(DataSource);
    probe = new KafkaProbe();
    await probe.watch([physical(Topic.AssignmentEvents), physical(`${Topic.AssignmentEvents}.dlq`)]);
  });

  afterAll(async () => {
    releaseHeld();
    await probe?.close();
    await app?.close();
    await sandbox?.dispose();
  });

  it('publishes committed outbox rows keyed by ticket, in order, and never a rolled-back one', async () => {
    const first = queued('first');
    const second = { ...queued('second'), subject: first.subject, data: { ...first.data, reason: 'second' } };
    const rolledBack = queued('rolled back');
    const writer = app.get(OutboxWriter);
    await dataSource.transaction((manager) => writer.append(manager, first, second));
    await expect(
      dataSource.transaction(async (manager) => {
        await writer.append(manager, rolledBack);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    const published = await waitFor(
      () => {
        const mine = probe.on(physical(Topic.AssignmentEvents)).filter((m) => m.key === first.subject);
        return mine.length >= 2 && mine;
      },
      { description: 'both committed events on Kafka' },
    );
    expect(published.map((m) => m.json<{ id: string }>().id)).toEqual([first.id, second.id]);
    // The rolled-back event's ticket must never appear, even after the relay has caught up.
    await waitFor(
      async () => (await dataSource.query('SELECT 1 FROM outbox WHERE published_at IS NULL')).length === 0,
    );
    expect(probe.received.some((m) => m.key === rolledBack.subject)).toBe(false);
  });

  it('applies a redelivered event once', async () => {
    const event = queued();
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(event), event.subject);
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(event), event.subject);
    const marker = queued();
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(marker), event.subject);

    await waitFor(async () => (await effects()).some((e) => e.event_id === marker.id), {
      description: 'marker applied',
    });
    expect((await effects()).filter((e) => e.event_id === event.id)).toHaveLength(1);
    const inbox = await dataSource.query('SELECT event_type FROM processed_events WHERE event_id = $1', [
      event.id,
    ]);
    expect(inbox).toEqual([{ event_type: 'ticket.queued' }]);
  });

  it('dead-letters malformed, invalid and always-failing messages and keeps processing behind them', async () => {
    const key = randomUUID();
    const failing = queued('always-fail');
    const after = queued('after the bad ones');
    await probe.publish(physical(Topic.AssignmentEvents), 'not json at all', key);
    await probe.publish(
      physical(Topic.AssignmentEvents),
      JSON.stringify({
        specversion: '1.0',
        id: 'x1',
        source: 's',
        type: 'ticket.queued',
        data: { ticketId: 'nope' },
      }),
      key,
    );
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(failing), key);
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(after), key);

    await waitFor(async () => (await effects()).some((e) => e.event_id === after.id), {
      description: 'the valid event behind the bad ones',
      timeoutMs: 30_000,
    });
    const dlq = await waitFor(
      () => {
        const mine = probe.on(physical(`${Topic.AssignmentEvents}.dlq`)).filter((m) => m.key === key);
        return mine.length === 3 && mine;
      },
      { description: 'three dead letters' },
    );
    expect(dlq.map((m) => m.headers['dlq-reason'])).toEqual([
      'malformed_json',
      'invalid_data',
      'handler_failed',
    ]);
    expect(dlq[2].headers['dlq-attempts']).toBe('3');
    // The handler's own error class reaches the transport, not Nest's generic RPC error object.
    expect(dlq[2].headers['dlq-detail']).toBe('TypeError');
    expect(dlq[2].headers['dlq-original-topic']).toBe(physical(Topic.AssignmentEvents));
    expect(dlq[0].value).toBe('not json at all');
    expect((await effects()).some((e) => e.event_id === failing.id)).toBe(false);
  });

  it('applies a batch in few transactions, rolls back the poison message in it and dead-letters it alone', async () => {
    const key = randomUUID();
    const before = Array.from({ length: 20 }, () => queued('before'));
    const poison = queued('fail-after-write');
    const after = Array.from({ length: 20 }, () => queued('after'));
    const events = [...before, before[3], poison, ...after];
    await probe.publishBatch(
      physical(Topic.AssignmentEvents),
      events.map((event) => serializeEvent(event)),
      key,
    );

    const last = after[after.length - 1];
    await waitFor(async () => (await effects()).some((e) => e.event_id === last.id), {
      description: 'the last event of the batch',
      timeoutMs: 30_000,
    });
    const dlq = await waitFor(
      () => {
        const mine = probe.on(physical(`${Topic.AssignmentEvents}.dlq`)).filter((m) => m.key === key);
        return mine.length > 0 && mine;
      },
      { description: 'the poison message dead-lettered' },
    );
    expect(dlq.map((m) => m.json<{ id: string }>().id)).toEqual([poison.id]);
    const applied = (await effects()).map((e) => e.event_id);
    const valid = [...before, ...after].map((event) => event.id);
    expect(applied.filter((id) => valid.includes(id)).sort()).toEqual([...valid].sort());
    expect(applied).not.toContain(poison.id);
    const inbox = await dataSource.query<Array<{ event_id: string; processed_at: Date }>>(
      'SELECT event_id, processed_at FROM processed_events WHERE event_id = ANY($1)',
      [[...valid, poison.id]],
    );
    expect(inbox.map((row) => row.event_id).sort()).toEqual([...valid].sort());
    // now() is the transaction's start: rows written in one transaction share it.
    const transactions = new Set(inbox.map((row) => row.processed_at.getTime()));
    expect(transactions.size).toBeLessThanOrEqual(6);
  });

  /** The lag the service reports for a logical topic at a scrape, or undefined when it reports none. */
  async function scrapedLag(topic: Topic): Promise<number | undefined> {
    const exposition = await app.get(MetricsService).registry.metrics();
    const sample = exposition
      .split('\n')
      .find((line) => line.startsWith('kafka_consumer_lag_messages{') && line.includes(`topic="${topic}"`));
    return sample === undefined ? undefined : Number(sample.slice(sample.lastIndexOf(' ') + 1));
  }

  it('reports the messages the group has not yet consumed on a topic, and 0 once it has', async () => {
    await waitFor(async () => (await scrapedLag(Topic.AssignmentEvents)) === 0, {
      description: 'no lag once the events of the tests before are consumed',
      timeoutMs: 30_000,
    });
    const ticketId = randomUUID();
    const events = [queued('hold'), ...Array.from({ length: 4 }, () => queued('behind the held one'))];
    // One key, so all five share a partition and wait behind the held one.
    await probe.publishBatch(
      physical(Topic.AssignmentEvents),
      events.map((event) => serializeEvent(event)),
      ticketId,
    );
    await waitFor(async () => (await scrapedLag(Topic.AssignmentEvents)) === 5, {
      description: 'a lag of the five unconsumed messages',
    });
    // Labels carry the logical topic, never the deployment's prefixed name.
    expect(await app.get(MetricsService).registry.metrics()).not.toContain(
      `topic="${physical(Topic.AssignmentEvents)}"`,
    );

    releaseHeld();
    await waitFor(async () => (await effects()).some((e) => e.event_id === events[4].id), {
      description: 'the five applied once the first is let go',
    });
    await waitFor(async () => (await scrapedLag(Topic.AssignmentEvents)) === 0, {
      description: 'the lag back at 0',
    });
  });

  it('rejoins its group when the group dropped it during a long batch, and does not crash', async () => {
    const consumer = app.get(KafkaEventTransport).unwrap<Consumer>();
    let joins = 0;
    const stopCounting = consumer.on(consumer.events.GROUP_JOIN, () => joins++);
    const key = randomUUID();
    const stalling = queued('stall-once');
    const after = queued('after the stall');
    await probe.publishBatch(
      physical(Topic.AssignmentEvents),
      [stalling, after].map((event) => serializeEvent(event)),
      key,
    );

    await waitFor(async () => (await effects()).some((e) => e.event_id === after.id), {
      description: 'the event behind the stalled one, applied after the rejoin',
      timeoutMs: 90_000,
    });
    stopCounting();
    // The commit after the stall met "the coordinator is not aware of this member"; the consumer
    // joined again instead of reporting a crash that would end the service.
    expect(fatalErrors).toEqual([]);
    expect(stalled.has(stalling.id)).toBe(true);
    expect(joins).toBeGreaterThanOrEqual(1);
    expect((await effects()).filter((e) => e.event_id === stalling.id)).toHaveLength(1);
    expect(app.get(KafkaEventTransport).health()).toEqual({ healthy: true });
  });

  it('resumes after a restart from the committed offset without reapplying or skipping', async () => {
    const before = queued();
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(before), before.subject);
    await waitFor(async () => (await effects()).some((e) => e.event_id === before.id));
    const applied = (await effects()).length;

    await app.close();
    const whileDown = queued();
    await probe.publish(physical(Topic.AssignmentEvents), serializeEvent(whileDown), whileDown.subject);
    app = await startApp();
    dataSource = app.get(DataSource);

    await waitFor(async () => (await effects()).some((e) => e.event_id === whileDown.id), {
      description: 'the event published while the consumer was down',
      timeoutMs: 45_000,
    });
    expect(await effects()).toHaveLength(applied + 1);
  });
});
