import { randomUUID } from 'node:crypto';
import { type Consumer, type IHeaders, Kafka, logLevel, type Producer } from 'kafkajs';
import { type PublisherCredential, signedRecordHeaders } from '@app/contracts';
import { TEST_PUBLISHERS } from './isolation';

export interface ReceivedMessage {
  topic: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  json<T = Record<string, unknown>>(): T;
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

export interface PublishOptions {
  /**
   * Whose signature the records carry, as another system publishing on the inbound topic would
   * sign them; `null` publishes them unsigned. Other topics ignore the headers.
   */
  signAs?: PublisherCredential | null;
  /** Headers to send as they are, instead of a signature: a forged or replayed one, say. */
  headers?: Record<string, string>;
}

/** Publishes raw messages and records everything seen on the given physical topics, for assertions. */
export class KafkaProbe {
  readonly received: ReceivedMessage[] = [];
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;
  private consumer: Consumer | undefined;

  constructor(brokers = process.env.KAFKA_BROKERS ?? '') {
    this.kafka = new Kafka({
      clientId: 'test-probe',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      // A broker busy creating every test file's topics answers late or moves partition leaders:
      // a request it sits on is retried after 10 s, and retries come quickly, instead of a send
      // waiting out kafkajs's 30 s timeouts and backoffs past a test's own time limit.
      requestTimeout: 10_000,
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 15 },
    });
  }

  async publish(
    topic: string,
    value: string | Buffer,
    key?: string,
    options?: PublishOptions,
  ): Promise<void> {
    await this.publishBatch(topic, [value], key, options);
  }

  /** Publishes in one request, so a consumer fetches the messages together, as one batch. */
  async publishBatch(
    topic: string,
    values: Array<string | Buffer>,
    key?: string,
    { signAs = TEST_PUBLISHERS.gateway, headers }: PublishOptions = {},
  ): Promise<void> {
    // One connection shared by concurrent publishes: the first call starts it, all of them await it.
    this.producer ??= this.connectProducer();
    const producer = await this.producer;
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value) => ({
        key: key ?? null,
        value,
        headers: headers ?? (signAs ? signedRecordHeaders(value, signAs) : undefined),
      })),
    });
  }

  private async connectProducer(): Promise<Producer> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    return producer;
  }

  /** Starts recording from the beginning of each topic (topics must already exist). */
  async watch(topics: string[]): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `probe-${randomUUID()}`, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: ({ topic, message }) => {
        const value = message.value?.toString() ?? null;
        this.received.push({
          topic,
          key: message.key?.toString() ?? null,
          value,
          headers: headersToStrings(message.headers),
          json: <T>() => JSON.parse(value ?? 'null') as T,
        });
        return Promise.resolve();
      },
    });
  }

  on(topic: string): ReceivedMessage[] {
    return this.received.filter((message) => message.topic === topic);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await (await this.producer)?.disconnect();
  }
}
