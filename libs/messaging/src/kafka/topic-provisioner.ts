import { type Admin } from 'kafkajs';
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
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: layout.partitions,
      replicationFactor: layout.replicationFactor,
    })),
  });
  return missing;
}
