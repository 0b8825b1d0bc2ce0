import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { type KafkaConfig } from '@app/config';
import { type Topic } from '@app/contracts';
import { createRootLogger, HealthService, MetricsService } from '@app/observability';
import { ConsumerLag } from './kafka/consumer-lag';
import { createKafkaClient } from './kafka/kafka-client';
import { KafkaProducer } from './kafka/kafka-producer';
import { TopicNames } from './kafka/topic-names';
import { TopicProvisioner } from './kafka/topic-provisioner';
import { type PublisherDirectory } from './publishers/inbound-publishers';
import { OutboxRelay } from './outbox/outbox-relay';
import { OutboxWriter } from './outbox/outbox.writer';
import { KafkaEventTransport } from './transport/kafka-event.transport';

export interface MessagingOptions {
  kafka: KafkaConfig;
  /** The service's Postgres schema: the outbox relay's lock is per schema. */
  schema: string;
  /** Topics this service publishes to; they are provisioned at start-up with their DLQs. */
  publishes: Topic[];
  /** The topic other systems publish on, and who may: its records must be signed (S2). */
  signed?: { topic: Topic; publishers: PublisherDirectory };
  /** What to do when the consumer dies beyond repair. Defaults to exiting the process non-zero. */
  onFatal?: (error: unknown) => void;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/** A scrape reuses a lag read this recent, and waits at most this long for a new one. */
const CONSUMER_LAG_CACHE_MS = 5_000;
const CONSUMER_LAG_TIMEOUT_MS = 2_000;

function exitOnFatal(client: string, error: unknown): void {
  // Nest may still hold start-up lines in its buffer (the consumer can fail during start-up);
  // write them, then the reason through a synchronous logger, so nothing is lost to exit().
  Logger.flush();
  createRootLogger(client).fatal(
    { error: error instanceof Error ? { type: error.name, message: error.message } : String(error) },
    'Kafka consumer failed and cannot recover; exiting',
  );
  // Uncommitted offsets are redelivered and open transactions roll back, so exiting loses nothing.
  process.exit(1);
}

/**
 * Start-up and shutdown order: topics exist before anyone produces; on shutdown the consumer
 * drains first (its handlers may still append to the outbox), then the relay publishes its last
 * batch, then the producer disconnects. All of it happens in onModuleDestroy, i.e. before
 * TypeORM closes the pool in onApplicationShutdown (R8).
 */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Messaging');

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly provisioner: TopicProvisioner,
    private readonly producer: KafkaProducer,
    private readonly relay: OutboxRelay,
    private readonly transport: KafkaEventTransport,
    private readonly consumerLag: ConsumerLag,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const created = await this.provisioner.ensure(this.options.publishes);
    if (created.length > 0) this.logger.log({ msg: 'Created Kafka topics', topics: created });
    await this.producer.connect();
    this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.transport.close();
    await this.relay.stop();
    await this.producer.disconnect();
    await this.consumerLag.close();
  }
}

@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        { provide: KAFKA_CLIENT, useFactory: () => createKafkaClient(options.kafka) },
        { provide: TopicNames, useValue: new TopicNames(options.kafka.topicPrefix) },
        {
          provide: KafkaProducer,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: Kafka) => new KafkaProducer(kafka),
        },
        {
          provide: TopicProvisioner,
          inject: [KAFKA_CLIENT, TopicNames],
          useFactory: (kafka: Kafka, names: TopicNames) => new TopicProvisioner(kafka, names, options.kafka),
        },
        OutboxWriter,
        {
          provide: OutboxRelay,
          inject: [DataSource, KafkaProducer, TopicNames],
          useFactory: (dataSource: DataSource, producer: KafkaProducer, names: TopicNames) =>
            new OutboxRelay(dataSource, producer, names, {
              schema: options.schema,
              pollIntervalMs: options.kafka.outboxPollIntervalMs,
              batchSize: options.kafka.outboxBatchSize,
            }),
        },
        {
          provide: KafkaEventTransport,
          inject: [KAFKA_CLIENT, DataSource, KafkaProducer, TopicNames, TopicProvisioner, MetricsService],
          useFactory: (
            kafka: Kafka,
            dataSource: DataSource,
            producer: KafkaProducer,
            names: TopicNames,
            provisioner: TopicProvisioner,
            metrics: MetricsService,
          ) => {
            const consumed = metrics.counter('events_consumed_total', 'Kafka events consumed, by outcome', [
              'topic',
              'type',
              'outcome',
            ]);
            const duration = metrics.histogram(
              'event_processing_seconds',
              'Time to process one Kafka event',
              ['type'],
            );
            return new KafkaEventTransport({
              kafka,
              dataSource,
              producer,
              topics: names,
              provisioner,
              groupId: options.kafka.groupId,
              maxAttempts: options.kafka.handlerMaxAttempts,
              retryMs: options.kafka.handlerRetryMs,
              batchSize: options.kafka.consumerBatchSize,
              partitionsConcurrently: options.kafka.partitionsConcurrently,
              signed: options.signed,
              onFatal: options.onFatal ?? ((error: unknown) => exitOnFatal(options.kafka.clientId, error)),
              onConsumed: (topic, type, outcome, seconds) => {
                consumed.inc({ topic, type, outcome });
                duration.observe({ type }, seconds);
              },
            });
          },
        },
        {
          provide: ConsumerLag,
          inject: [KAFKA_CLIENT, TopicNames, KafkaEventTransport, MetricsService],
          useFactory: (
            kafka: Kafka,
            names: TopicNames,
            transport: KafkaEventTransport,
            metrics: MetricsService,
          ) => {
            const failures = metrics.counter(
              'kafka_consumer_lag_read_failures_total',
              'Scrapes that could not read the consumer lag from Kafka in time, and so reported none',
            );
            return new ConsumerLag({
              kafka,
              names,
              groupId: options.kafka.groupId,
              consumed: () => transport.consumedTopics(),
              cacheMs: CONSUMER_LAG_CACHE_MS,
              timeoutMs: CONSUMER_LAG_TIMEOUT_MS,
              onReadFailure: () => failures.inc(),
            });
          },
        },
        {
          provide: MessagingLifecycle,
          useClass: MessagingLifecycle,
        },
        {
          provide: 'MESSAGING_OBSERVABILITY',
          inject: [
            HealthService,
            MetricsService,
            KafkaProducer,
            OutboxRelay,
            KafkaEventTransport,
            ConsumerLag,
          ],
          useFactory: (
            health: HealthService,
            metrics: MetricsService,
            producer: KafkaProducer,
            relay: OutboxRelay,
            transport: KafkaEventTransport,
            consumerLag: ConsumerLag,
          ) => {
            health.register('kafka', () => {
              if (!producer.isConnected) throw new Error('Kafka producer is not connected');
              const consumer = transport.health();
              if (!consumer.healthy) throw new Error(consumer.reason);
              const outbox = relay.health();
              if (!outbox.healthy) throw new Error(`outbox relay failing: ${outbox.error}`);
              return Promise.resolve();
            });
            metrics.gauge('outbox_backlog', 'Outbox rows not yet published to Kafka', [], async (gauge) => {
              gauge.set(await relay.backlog());
            });
            metrics.gauge(
              'outbox_published',
              'Outbox rows published by this process since start',
              [],
              (gauge) => {
                gauge.set(relay.publishedCount);
              },
            );
            // Every replica reports its whole group's lag, so dashboards take the max per service.
            metrics.gauge(
              'kafka_consumer_lag_messages',
              "Messages on each consumed topic that the service's consumer group has not yet committed",
              ['topic'],
              async (gauge) => {
                const lag = await consumerLag.read();
                gauge.reset();
                for (const [topic, messages] of lag ?? []) gauge.set({ topic }, messages);
              },
            );
            return true;
          },
        },
      ],
      exports: [OutboxWriter, OutboxRelay, KafkaEventTransport, KafkaProducer, TopicNames, KAFKA_CLIENT],
    };
  }
}
