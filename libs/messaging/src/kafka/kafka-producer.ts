import { Logger } from '@nestjs/common';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';

/**
 * Protocol errors that say the broker no longer holds this producer's id or sequence numbers. A
 * broker killed before it flushed its log comes back without the last batches it acknowledged; the
 * idempotent producer's next sequence number is then ahead of it, and kafkajs fails every later
 * send with the same error, forever.
 */
const PRODUCER_STATE_LOST = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

export function lostProducerState(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { type } = cause as Error & { type?: unknown };
    if (typeof type === 'string' && PRODUCER_STATE_LOST.has(type)) return true;
  }
  return false;
}

/**
 * One idempotent producer per process, shared by the outbox relay and the dead-letter writer.
 * acks=all and a single in-flight request keep per-partition order through broker retries.
 */
export class KafkaProducer {
  private readonly logger = new Logger(KafkaProducer.name);
  private producer: Producer;
  private connected = false;
  /** A producer made to replace one whose state the broker lost, not yet connected. */
  private connectBeforeSend = false;

  constructor(private readonly kafka: Kafka) {
    this.producer = this.create();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  /**
   * Resolves only once every message is acknowledged by all in-sync replicas. A send the broker
   * refuses for a lost producer state fails as it came, and the producer is replaced for the retry.
   */
  async send(topicMessages: Array<{ topic: string; messages: Message[] }>): Promise<void> {
    if (this.connectBeforeSend) {
      await this.producer.connect();
      this.connectBeforeSend = false;
    }
    const producer = this.producer;
    try {
      await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (error) {
      if (lostProducerState(error)) await this.replace(producer, error);
      throw error;
    }
  }

  /**
   * A new producer gets a new producer id and counts its sequences from zero, so the caller's
   * retry goes through. Whatever the old one wrote without an acknowledgment may arrive twice,
   * which every consumer's inbox absorbs (R2); order per key holds, as the retry resends in order.
   */
  private async replace(failed: Producer, error: unknown): Promise<void> {
    // Two sends failing at once replace it once.
    if (this.producer !== failed) return;
    this.logger.warn({
      msg: 'The broker lost this producer’s sequence numbers; starting a new producer',
      error: error instanceof Error ? error.message : String(error),
    });
    this.producer = this.create();
    this.connected = false;
    this.connectBeforeSend = true;
    await failed.disconnect().catch((disconnectError: unknown) =>
      this.logger.warn({
        msg: 'Disconnecting the replaced producer failed; its connections close with the process',
        error: disconnectError instanceof Error ? disconnectError.message : String(disconnectError),
      }),
    );
  }

  private create(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Named explicitly: murmur2 on the key (the ticket id), as every other Kafka client partitions.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producer.on(producer.events.CONNECT, () => {
      if (this.producer === producer) this.connected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connected = false;
    });
    return producer;
  }
}
