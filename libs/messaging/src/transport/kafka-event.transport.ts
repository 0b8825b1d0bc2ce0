import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  type AnyEvent,
  envelopeTenant,
  InvalidEventError,
  isEventType,
  parseEvent,
  type Topic,
  topicOf,
} from '@app/contracts';
import { inSpan, runWithCorrelation, SpanKind, traceContextOfHeaders } from '@app/observability';
import { claimEvent, claimEvents, inboxKey } from '../inbox/claim-event';
import { type KafkaProducer } from '../kafka/kafka-producer';
import { recordDeadLetter } from '../dead-letters/dead-letter-store';
import {
  authorizeTenant,
  type InboundPublisher,
  onlyTenantOf,
  type PublisherDirectory,
} from '../publishers/inbound-publishers';
import { type TopicNames } from '../kafka/topic-names';
import { type TopicProvisioner } from '../kafka/topic-provisioner';
import { type EventContext } from './event-context';
import { type DeadLetterCause, deadLetterMessage, deadLetterRecord } from './dead-letter';
import { describeFailure, isTransientFailure } from '@app/http';

export type ConsumeOutcome = 'processed' | 'duplicate' | 'ignored' | 'dead_lettered';

export interface KafkaEventTransportOptions {
  kafka: Kafka;
  dataSource: DataSource;
  producer: KafkaProducer;
  topics: TopicNames;
  /** Creates the consumed topics (and their DLQs) before subscribing, since handlers are known only now. */
  provisioner: TopicProvisioner;
  groupId: string;
  /** Attempts for a handler failure that is not an infrastructure outage, before the DLQ. */
  maxAttempts: number;
  retryMs: number;
  /** Most messages of one partition applied in one transaction. */
  batchSize: number;
  /** Partitions whose batches are applied at the same time, each in its own transaction. */
  partitionsConcurrently: number;
  /**
   * A topic other systems publish on: its records must be signed by one of `publishers`, and each
   * event must be for a tenant its publisher may act in; anything else is dead-lettered unapplied.
   */
  signed?: { topic: Topic; publishers: PublisherDirectory };
  /** Called when the consumer dies and kafkajs will not restart it: the process must exit (R7). */
  onFatal: (error: unknown) => void;
  onConsumed?: (topic: string, type: string, outcome: ConsumeOutcome, seconds: number) => void;
}

class ShutdownInterrupt extends Error {
  constructor() {
    super('Shutting down before the event could be processed; it will be redelivered');
    this.name = 'ShutdownInterrupt';
  }
}

const MAX_TRANSIENT_BACKOFF_MS = 10_000;
const STUCK_AFTER_MS = 30_000;

/** Where a message came from: the physical topic, its logical name and the partition. */
interface MessageOrigin {
  physicalTopic: string;
  topic: Topic;
  partition: number;
  heartbeat: () => Promise<void>;
}

interface Consumed {
  type: string;
  outcome: ConsumeOutcome;
}

type Handler = NonNullable<ReturnType<Server['getHandlerByPattern']>>;

/** A message of a batch, parsed: to apply with its handler, to ignore, or to dead-letter. */
type BatchItem = { message: KafkaMessage } & (
  | { kind: 'apply'; event: AnyEvent; handler: Handler }
  | { kind: 'ignore'; type: string }
  | { kind: 'invalid'; error: InvalidEventError; tenant: string | null }
);
type ApplyItem = Extract<BatchItem, { kind: 'apply' }>;

/**
 * A Nest microservice transport over kafkajs that keeps `@HandlesEvent('<event type>')` handlers
 * but applies our delivery semantics instead of ServerKafka's:
 * - the inbox rows and the handlers' effects share one transaction (R2); a partition's messages
 *   are applied in batches of up to `batchSize`, one transaction and one offset commit per batch,
 *   and several partitions at once;
 * - the offset is committed only after that transaction commits (R1);
 * - invalid messages, events a handler refuses (InvalidEventError) and handlers failing for their
 *   own reasons go to `<topic>.dlq` (R6), recorded first in the service's `dead_letters`, while
 *   infrastructure failures are retried until they pass, heartbeating so the group keeps us;
 * - a message whose handler fails leaves the batch: the messages before it commit without it, it
 *   is retried on its own (then dead-lettered or applied), and the batch goes on after it, in order;
 * - a crash kafkajs will not restart ends the process (R7); close() drains the batch in flight (R8).
 * A message whose type has no handler here is committed and counted as ignored: services subscribe
 * to whole topics and handle only the types they care about.
 */
export class KafkaEventTransport extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(KafkaEventTransport.name);
  private consumer: Consumer | undefined;
  private joined = false;
  private stopping = false;
  private stuckSince: number | undefined;
  private subscribed: readonly Topic[] = [];

  constructor(private readonly options: KafkaEventTransportOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    // disconnect() waits for the message in flight to finish before leaving the group.
    if (consumer) await consumer.disconnect();
    this.joined = false;
  }

  on(): never {
    throw new Error('KafkaEventTransport does not expose transport events');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('KafkaEventTransport is not listening');
    return this.consumer as T;
  }

  /** Ready while the consumer is in its group and not stuck retrying an outage (R7). */
  health(): { healthy: boolean; reason?: string } {
    if (!this.joined) return { healthy: false, reason: 'consumer has not joined its group' };
    if (this.stuckSince && Date.now() - this.stuckSince > STUCK_AFTER_MS) {
      return { healthy: false, reason: 'consumer is retrying an infrastructure failure' };
    }
    return { healthy: true };
  }

  /** Logical topics this transport consumes, derived from the handlers' event types. */
  subscribedTopics(): Topic[] {
    const topics = new Set<Topic>();
    for (const pattern of this.messageHandlers.keys()) {
      if (!isEventType(pattern)) {
        throw new Error(`@HandlesEvent('${pattern}') is not a known event type in @app/contracts`);
      }
      topics.add(topicOf(pattern));
    }
    return [...topics];
  }

  /** Logical topics the consumer subscribed to: none until it listens. */
  consumedTopics(): readonly Topic[] {
    return this.subscribed;
  }

  private async start(): Promise<void> {
    const topics = this.subscribedTopics();
    if (topics.length === 0) return;
    await this.options.provisioner.ensure(topics);
    // A replica killed without leaving its group holds its partitions until its session expires,
    // and a rebalance waits for it: 10 s bounds that pause. A live consumer heartbeats after every
    // chunk and through every retry pause, each well under a second apart.
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 1_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.logger.log({
        msg: 'Joined the consumer group',
        groupId: payload.groupId,
        joinMs: payload.duration,
        partitions: Object.values(payload.memberAssignment).reduce((sum, list) => sum + list.length, 0),
      });
    });
    consumer.on(consumer.events.STOP, () => (this.joined = false));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      if (payload.restart) {
        this.logger.warn({
          msg: 'Kafka consumer crashed; kafkajs restarts it',
          error: describeFailure(payload.error),
        });
      } else if (!this.stopping) {
        this.options.onFatal(payload.error);
      }
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: topics.map((topic) => this.options.topics.physical(topic)),
      fromBeginning: true,
    });
    this.subscribed = topics;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => this.consumeBatch(payload),
    });
    this.logger.log({ msg: 'Consuming', groupId: this.options.groupId, topics });
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    const origin: MessageOrigin = {
      physicalTopic: batch.topic,
      topic: this.options.topics.logical(batch.topic) as Topic,
      partition: batch.partition,
      heartbeat,
    };
    const { messages } = batch;
    for (let from = 0; from < messages.length;) {
      // Stop between batches on shutdown or rebalance: what is not resolved is fetched again.
      if (this.stopping || !payload.isRunning() || payload.isStale()) return;
      const chunk = messages.slice(from, from + this.options.batchSize);
      const started = process.hrtime.bigint();
      const outcomes = await this.applyChunk(chunk, origin);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const last = chunk[outcomes.length - 1];
      // Only now are the effects durable; committing earlier could lose them in a crash (R1).
      // The batch's own commit, not consumer.commitOffsets: that one wraps "the coordinator is not
      // aware of this member" (a session lost to a broker restart or a long chunk) as a crash
      // kafkajs will not restart, while from here kafkajs rejoins the group and fetches again.
      await payload.commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }],
          },
        ],
      });
      payload.resolveOffset(last.offset);
      for (const outcome of outcomes) {
        this.options.onConsumed?.(origin.topic, outcome.type, outcome.outcome, seconds / outcomes.length);
      }
      from += outcomes.length;
      await heartbeat();
    }
  }

  /**
   * Applies a prefix of `chunk` and returns one outcome per message of it, in order. Invalid
   * messages are dead-lettered on their own, so the batch stops before one.
   */
  private async applyChunk(chunk: KafkaMessage[], origin: MessageOrigin): Promise<Consumed[]> {
    const items = chunk.map((message) => this.parse(message, origin));
    const invalidAt = items.findIndex((item) => item.kind === 'invalid');
    return this.applyBatch(invalidAt > 0 ? items.slice(0, invalidAt) : items, origin);
  }

  /**
   * The whole batch in one transaction when every handler succeeds. A failing handler rolls all of
   * it back (no savepoints: they would double the statements of every event); the events before
   * the failing one are then applied again as a batch, and the failing one heads the next batch,
   * where it fails first and gets the one-event path with its retries and dead letter.
   */
  private async applyBatch(items: BatchItem[], origin: MessageOrigin): Promise<Consumed[]> {
    if (items.length === 1 || items[0].kind === 'invalid') return [await this.consumeOne(items[0], origin)];
    const toApply = items.filter((item): item is ApplyItem => item.kind === 'apply');
    const ignored = (item: BatchItem): Consumed => ({
      type: item.kind === 'ignore' ? item.type : 'invalid',
      outcome: 'ignored',
    });
    // Events of types this service does not handle need no transaction at all.
    if (toApply.length === 0) return items.map(ignored);
    const outcomes: Consumed[] = [];
    let failedAt: number | undefined;
    try {
      await this.options.dataSource.transaction(async (manager) => {
        const claimed = await claimEvents(
          manager,
          this.options.groupId,
          toApply.map((item) => item.event),
        );
        for (const [index, item] of items.entries()) {
          if (item.kind !== 'apply') {
            outcomes.push(ignored(item));
          } else if (!claimed.delete(inboxKey(item.event))) {
            outcomes.push({ type: item.event.type, outcome: 'duplicate' });
          } else {
            failedAt = index;
            await this.inEventScope(item, origin, () => this.invoke(item, origin, manager, 1));
            failedAt = undefined;
            outcomes.push({ type: item.event.type, outcome: 'processed' });
          }
        }
      });
    } catch (error) {
      if (error instanceof ShutdownInterrupt || this.stopping) throw new ShutdownInterrupt();
      if (failedAt !== undefined && failedAt > 0) {
        this.logger.debug({
          msg: 'Handler failed in a batch; applying the events before it again',
          failure: describeFailure(error),
        });
        return this.applyBatch(items.slice(0, failedAt), origin);
      }
      if (failedAt === undefined) {
        // The transaction itself failed (an outage, say). One event at a time, infrastructure
        // failures are retried with backoff.
        this.logger.warn({
          msg: 'Batch transaction failed; applying its events one at a time',
          failure: describeFailure(error),
        });
      }
      return [await this.consumeOne(items[0], origin)];
    }
    this.stuckSince = undefined;
    return outcomes;
  }

  /** Parses a message and finds its handler; no side effects, so a batch can be parsed again. */
  private parse(message: KafkaMessage, origin: MessageOrigin): BatchItem {
    let event: AnyEvent;
    try {
      event = this.readEvent(message, origin);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      return { message, kind: 'invalid', error, tenant: this.tenantOfRejected(message, origin) };
    }
    const handler = this.getHandlerByPattern(event.type);
    if (!handler) return { message, kind: 'ignore', type: event.type };
    return { message, kind: 'apply', event, handler };
  }

  /** The message's event, believed only as far as its publisher's signature vouches for it. */
  private readEvent(message: KafkaMessage, origin: MessageOrigin): AnyEvent {
    const { signed } = this.options;
    if (signed?.topic !== origin.topic) return parseEvent(message.value, { topic: origin.topic });
    const publisher = signed.publishers.authenticate(message);
    const event = parseEvent(message.value, { topic: origin.topic, defaultTenant: onlyTenantOf(publisher) });
    authorizeTenant(publisher, event);
    return event;
  }

  /**
   * Whose a message refused unparsed is, so its dead letter is shown to that tenant: the tenant its
   * envelope names, believed on the signed topic only as far as the publisher's signature vouches
   * (else the publisher's only tenant). Null when nobody can tell: then only the operator sees it.
   */
  private tenantOfRejected(message: KafkaMessage, origin: MessageOrigin): string | null {
    const { signed } = this.options;
    if (signed?.topic !== origin.topic) return envelopeTenant(message.value) ?? null;
    let publisher: InboundPublisher;
    try {
      publisher = signed.publishers.authenticate(message);
    } catch (error) {
      if (error instanceof InvalidEventError) return null;
      throw error;
    }
    const named = envelopeTenant(message.value, { defaultTenant: onlyTenantOf(publisher) });
    if (named !== undefined && publisher.tenants.includes(named)) return named;
    return onlyTenantOf(publisher) ?? null;
  }

  /** One message on its own: dead-lettered, ignored, or applied in its own transaction. */
  private async consumeOne(item: BatchItem, origin: MessageOrigin): Promise<Consumed> {
    switch (item.kind) {
      case 'invalid':
        await this.deadLetter(item.message, origin, item.error.code, item.error.detail, 1, item.tenant);
        return { type: 'invalid', outcome: 'dead_lettered' };
      case 'ignore':
        return { type: item.type, outcome: 'ignored' };
      case 'apply':
        return this.processOne(item, origin);
    }
  }

  /**
   * Where an event's handler runs: under the event's correlation, which every log line and emitted
   * event inherits, and in a consumer span continuing the trace its record's headers carry.
   */
  private inEventScope<T>(item: ApplyItem, origin: MessageOrigin, work: () => Promise<T>): Promise<T> {
    const { event, message } = item;
    const correlation = {
      correlationId: event.correlationid ?? event.id,
      causationId: event.id,
      tenant: event.tenant,
    };
    const span = {
      kind: SpanKind.CONSUMER,
      parent: traceContextOfHeaders(message.headers),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': origin.physicalTopic,
        'messaging.consumer.group.name': this.options.groupId,
        'messaging.kafka.offset': Number(message.offset),
        'cloudevents.event_type': event.type,
        'cloudevents.event_id': event.id,
      },
    };
    return runWithCorrelation(correlation, () => inSpan(`process ${origin.physicalTopic}`, span, work));
  }

  /** Runs the handler in `manager`'s transaction, which already holds the inbox row. */
  private async invoke(
    item: ApplyItem,
    origin: MessageOrigin,
    manager: EntityManager,
    attempt: number,
  ): Promise<void> {
    const context: EventContext = {
      manager,
      topic: origin.topic,
      partition: origin.partition,
      offset: item.message.offset,
      attempt,
    };
    const result: unknown = await item.handler(item.event, context);
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  /** One message in its own transaction, retried until it is applied or dead-lettered. */
  private async processOne(item: ApplyItem, origin: MessageOrigin): Promise<Consumed> {
    const { event } = item;
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await this.inEventScope(item, origin, () =>
          this.options.dataSource.transaction(async (manager) => {
            if (!(await claimEvent(manager, this.options.groupId, event))) return false;
            await this.invoke(item, origin, manager, attempt);
            return true;
          }),
        );
        this.stuckSince = undefined;
        return { type: event.type, outcome: applied ? 'processed' : 'duplicate' };
      } catch (error) {
        if (this.stopping) throw new ShutdownInterrupt();
        if (error instanceof InvalidEventError) {
          // The handler judged the event itself unacceptable: retrying cannot change that.
          await this.deadLetter(item.message, origin, error.code, error.detail, attempt, event.tenant);
          this.stuckSince = undefined;
          return { type: event.type, outcome: 'dead_lettered' };
        }
        const failure = describeFailure(error);
        if (isTransientFailure(error)) {
          this.stuckSince ??= Date.now();
          const delay = this.outageDelay(attempt);
          this.logger.warn({
            msg: 'Infrastructure failure; retrying event',
            type: event.type,
            eventId: event.id,
            failure,
            attempt,
            delay,
          });
          await this.pause(delay, origin.heartbeat);
          continue;
        }
        if (attempt >= this.options.maxAttempts) {
          this.logger.error({
            msg: 'Handler kept failing; dead-lettering event',
            type: event.type,
            eventId: event.id,
            failure,
            attempt,
            stack: error instanceof Error ? error.stack : undefined,
          });
          await this.deadLetter(item.message, origin, 'handler_failed', failure, attempt, event.tenant);
          this.stuckSince = undefined;
          return { type: event.type, outcome: 'dead_lettered' };
        }
        this.logger.warn({
          msg: 'Handler failed; retrying event',
          type: event.type,
          eventId: event.id,
          failure,
          attempt,
        });
        await this.pause(this.options.retryMs * 2 ** (attempt - 1), origin.heartbeat);
      }
    }
  }

  /** Waits, heartbeating so the broker does not hand our partitions to another member meanwhile. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.stopping) throw new ShutdownInterrupt();
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
      await heartbeat();
    }
  }

  private outageDelay(attempt: number): number {
    return Math.min(this.options.retryMs * 2 ** Math.min(attempt, 10), MAX_TRANSIENT_BACKOFF_MS);
  }

  /**
   * Records the dead letter in the service's table, then produces it to the DLQ topic, each step
   * retried through outages: the offset is committed only after both, so a message is never lost
   * between them. The record goes first and is unique per consumed record, so a crash between the
   * steps redelivers the message, which fails again, finds its record and produces the dead letter.
   */
  private async deadLetter(
    message: KafkaMessage,
    origin: MessageOrigin,
    reason: string,
    detail: string,
    attempts: number,
    tenant: string | null,
  ): Promise<void> {
    const { partition } = origin;
    const cause: DeadLetterCause = {
      originalTopic: origin.physicalTopic,
      partition,
      consumerGroup: this.options.groupId,
      reason,
      detail,
      attempts,
      failedAt: new Date(),
    };
    const record = deadLetterRecord(message, origin.topic, cause, tenant);
    await this.throughOutages(origin, 'Recording a dead letter', () =>
      recordDeadLetter(this.options.dataSource, record),
    );
    await this.throughOutages(origin, 'Producing a dead letter', () =>
      this.options.producer.send([
        {
          topic: this.options.topics.deadLetter(origin.topic),
          messages: [deadLetterMessage(message, cause)],
        },
      ]),
    );
    this.logger.warn({
      msg: 'Message dead-lettered',
      topic: origin.topic,
      partition,
      offset: message.offset,
      reason,
      detail,
    });
  }

  /** Runs `work` until it succeeds, waiting out infrastructure failures as events do; anything else throws. */
  private async throughOutages(
    origin: MessageOrigin,
    what: string,
    work: () => Promise<void>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        // The outage this waited out is over, whatever the message was.
        if (attempt > 1) this.stuckSince = undefined;
        return;
      } catch (error) {
        if (this.stopping) throw new ShutdownInterrupt();
        if (!isTransientFailure(error)) throw error;
        this.stuckSince ??= Date.now();
        const delay = this.outageDelay(attempt);
        this.logger.warn({
          msg: `${what} failed for an infrastructure failure; retrying`,
          failure: describeFailure(error),
          attempt,
          delay,
        });
        await this.pause(delay, origin.heartbeat);
      }
    }
  }
}
