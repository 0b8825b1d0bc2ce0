import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { type Consumer, type EachMessagePayload, type Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { type DataSource } from 'typeorm';
import {
  type AnyEvent,
  InvalidEventError,
  isEventType,
  parseEvent,
  type Topic,
  topicOf,
} from '@app/contracts';
import { runWithCorrelation } from '@app/observability';
import { claimEvent } from '../inbox/claim-event';
import { type KafkaProducer } from '../kafka/kafka-producer';
import { type TopicNames } from '../kafka/topic-names';
import { type TopicProvisioner } from '../kafka/topic-provisioner';
import { type EventContext } from './event-context';
import { deadLetterMessage } from './dead-letter';
import { describeFailure, isTransientFailure } from './failure-kind';

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

/**
 * A Nest microservice transport over kafkajs that keeps `@EventPattern('<event type>')` handlers
 * but applies our delivery semantics instead of ServerKafka's:
 * - the inbox row and the handler's effects share one transaction (R2);
 * - the offset is committed only after that transaction commits (R1);
 * - invalid messages, events a handler refuses (InvalidEventError) and handlers failing for their
 *   own reasons go to `<topic>.dlq` (R6), while
 *   infrastructure failures are retried until they pass, heartbeating so the group keeps us;
 * - a crash kafkajs will not restart ends the process (R7); close() drains the message in flight (R8).
 * A message whose type has no handler here is committed and counted as ignored: services subscribe
 * to whole topics and handle only the types they care about.
 */
export class KafkaEventTransport extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(KafkaEventTransport.name);
  private consumer: Consumer | undefined;
  private joined = false;
  private stopping = false;
  private stuckSince: number | undefined;

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
        throw new Error(`@EventPattern('${pattern}') is not a known event type in @app/contracts`);
      }
      topics.add(topicOf(pattern));
    }
    return [...topics];
  }

  private async start(): Promise<void> {
    const topics = this.subscribedTopics();
    if (topics.length === 0) return;
    await this.options.provisioner.ensure(topics);
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => (this.joined = true));
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
    await consumer.run({ autoCommit: false, eachMessage: (payload) => this.consume(payload) });
    this.logger.log({ msg: 'Consuming', groupId: this.options.groupId, topics });
  }

  private async consume(payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message } = payload;
    const logicalTopic = this.options.topics.logical(topic) as Topic;
    const started = process.hrtime.bigint();
    const outcome = await this.process(payload, logicalTopic);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // Only now is the effect durable; committing earlier could lose the event in a crash (R1).
    await this.consumer?.commitOffsets([
      { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
    ]);
    this.options.onConsumed?.(logicalTopic, outcome.type, outcome.outcome, seconds);
  }

  private async process(
    payload: EachMessagePayload,
    topic: Topic,
  ): Promise<{ type: string; outcome: ConsumeOutcome }> {
    let event: AnyEvent;
    try {
      event = parseEvent(payload.message.value, { topic });
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      await this.deadLetter(payload, topic, error.code, error.detail, 1);
      return { type: 'invalid', outcome: 'dead_lettered' };
    }

    const handler = this.getHandlerByPattern(event.type);
    if (!handler) return { type: event.type, outcome: 'ignored' };

    const correlation = {
      correlationId: event.correlationid ?? event.id,
      causationId: event.id,
      tenant: event.tenant,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await runWithCorrelation(correlation, () =>
          this.options.dataSource.transaction(async (manager) => {
            if (!(await claimEvent(manager, this.options.groupId, event))) return false;
            const context: EventContext = {
              manager,
              topic,
              partition: payload.partition,
              offset: payload.message.offset,
              attempt,
            };
            const result: unknown = await handler(event, context);
            await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
            return true;
          }),
        );
        this.stuckSince = undefined;
        return { type: event.type, outcome: applied ? 'processed' : 'duplicate' };
      } catch (error) {
        if (this.stopping) throw new ShutdownInterrupt();
        if (error instanceof InvalidEventError) {
          // The handler judged the event itself unacceptable: retrying cannot change that.
          await this.deadLetter(payload, topic, error.code, error.detail, attempt);
          this.stuckSince = undefined;
          return { type: event.type, outcome: 'dead_lettered' };
        }
        const failure = describeFailure(error);
        if (isTransientFailure(error)) {
          this.stuckSince ??= Date.now();
          const delay = Math.min(this.options.retryMs * 2 ** Math.min(attempt, 10), MAX_TRANSIENT_BACKOFF_MS);
          this.logger.warn({
            msg: 'Infrastructure failure; retrying event',
            type: event.type,
            eventId: event.id,
            failure,
            attempt,
            delay,
          });
          await this.pause(delay, () => payload.heartbeat());
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
          await this.deadLetter(payload, topic, 'handler_failed', failure, attempt);
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
        await this.pause(this.options.retryMs * 2 ** (attempt - 1), () => payload.heartbeat());
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

  private async deadLetter(
    payload: EachMessagePayload,
    topic: Topic,
    reason: string,
    detail: string,
    attempts: number,
  ): Promise<void> {
    const { message, partition } = payload;
    const deadLetter = deadLetterMessage(message, {
      originalTopic: payload.topic,
      partition,
      consumerGroup: this.options.groupId,
      reason,
      detail,
      attempts,
      failedAt: new Date(),
    });
    await this.options.producer.send([
      { topic: this.options.topics.deadLetter(topic), messages: [deadLetter] },
    ]);
    this.logger.warn({
      msg: 'Message dead-lettered',
      topic,
      partition,
      offset: message.offset,
      reason,
      detail,
    });
  }
}
