import { randomBytes } from 'node:crypto';
import { type Kafka } from 'kafkajs';

export interface TopicRecord {
  topic: string;
  partition: number;
  offset: number;
  /** When the producer sent it (CreateTime): after the transaction that wrote it committed. */
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Every record of the run's topics, read from the start up to the end offsets taken first, in
 * partition order. A fresh consumer group of its own, so nothing the services consume moves.
 */
export async function readTopics(kafka: Kafka, prefix: string, timeoutMs = 120_000): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  const ends = new Map<string, number>();
  for (const topic of topics) {
    for (const partition of await admin.fetchTopicOffsets(topic)) {
      if (Number(partition.high) > Number(partition.low))
        ends.set(`${topic}/${partition.partition}`, Number(partition.high));
    }
  }
  await admin.disconnect();
  const records: TopicRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({
    groupId: `chaos-checks-${randomBytes(4).toString('hex')}`,
    maxBytes: 50 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const remaining = new Set(ends.keys());
  const done = new Promise<void>((resolveDone, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`reading the topics took over ${timeoutMs} ms; left: ${[...remaining].join(', ')}`)),
      timeoutMs,
    );
    void consumer.run({
      eachBatch: ({ batch }) => {
        const id = `${batch.topic}/${batch.partition}`;
        const end = ends.get(id);
        if (end === undefined) return Promise.resolve();
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= end) break;
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset,
            timestamp: Number(message.timestamp),
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers,
          });
          if (offset >= end - 1) remaining.delete(id);
        }
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolveDone();
        }
        return Promise.resolve();
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) =>
    a.topic === b.topic
      ? a.partition === b.partition
        ? a.offset - b.offset
        : a.partition - b.partition
      : a.topic < b.topic
        ? -1
        : 1,
  );
}
