import { type Admin, type Kafka } from 'kafkajs';
import { type Topic } from '@app/contracts';
import { type TopicNames } from './topic-names';

export interface TopicLayout {
  partitions: number;
  replicationFactor: number;
}

/**
 * Topics are created explicitly, with the configured partitions and replication, because
 * auto-creation would silently give them the broker defaults (R11). Each gets its dead-letter topic.
 * Returns the physical names that were newly created.
 */
export async function provisionTopics(
  admin: Admin,
  names: TopicNames,
  topics: readonly Topic[],
  layout: TopicLayout,
): Promise<string[]> {
  const wanted = topics.flatMap((topic) => [names.physical(topic), names.deadLetter(topic)]);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    // Not kafkajs's waitForLeaders: it gives up on UNKNOWN_TOPIC_OR_PARTITION, which a freshly
    // started broker answers for a moment; waitUntilServed retries through it.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: layout.partitions,
        replicationFactor: layout.replicationFactor,
      })),
    });
  }
  await waitUntilServed(admin, wanted);
  return missing;
}

/**
 * CreateTopics returns before every broker's metadata cache knows the topic, and a consumer that
 * subscribes in that window fails with UNKNOWN_TOPIC_OR_PARTITION, which kafkajs does not retry.
 */
async function waitUntilServed(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const served = metadata.every(
        (topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0),
      );
      if (served) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`Kafka topics not served after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Creates topics on demand with one layout; used at start-up by the relay's and the consumer's topics. */
export class TopicProvisioner {
  constructor(
    private readonly kafka: Kafka,
    private readonly names: TopicNames,
    private readonly layout: TopicLayout,
  ) {}

  async ensure(topics: readonly Topic[]): Promise<string[]> {
    if (topics.length === 0) return [];
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await provisionTopics(admin, this.names, topics, this.layout);
    } finally {
      await admin.disconnect();
    }
  }
}
