import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';

/**
 * One idempotent producer per process, shared by the outbox relay and the dead-letter writer.
 * acks=all and a single in-flight request keep per-partition order through broker retries.
 */
export class KafkaProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Named explicitly: murmur2 on the key (the ticket id), as every other Kafka client partitions.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
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

  /** Resolves only once every message is acknowledged by all in-sync replicas. */
  async send(topicMessages: Array<{ topic: string; messages: Message[] }>): Promise<void> {
    await this.producer.sendBatch({ topicMessages, acks: -1 });
  }
}
