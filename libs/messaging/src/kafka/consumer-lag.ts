import { Logger } from '@nestjs/common';
import { type Admin, type Kafka } from 'kafkajs';
import { type Topic } from '@app/contracts';
import { describeFailure } from '@app/http';
import { singleFlight, withTimeout } from '@app/observability';
import { type TopicNames } from './topic-names';

/** One partition's offsets as Kafka reports them (int64 as strings); `committed` is -1 when the group has none. */
export interface PartitionOffsets {
  committed: string;
  low: string;
  high: string;
}

/**
 * Messages of one partition the group has yet to consume. The consumer starts where it committed,
 * or at the earliest retained message when it never committed or retention deleted past it, since
 * it subscribes from the beginning; so everything from there to the high watermark is lag.
 */
export function partitionLag({ committed, low, high }: PartitionOffsets): number {
  const start = BigInt(committed) > BigInt(low) ? BigInt(committed) : BigInt(low);
  const end = BigInt(high);
  return end > start ? Number(end - start) : 0;
}

export type LagByTopic = ReadonlyMap<Topic, number>;

export interface ConsumerLagOptions {
  kafka: Kafka;
  names: TopicNames;
  groupId: string;
  /** The logical topics the group consumes; none until the consumer listens. */
  consumed: () => readonly Topic[];
  /** A read is reused this long, so several scrapers (or metrics) cost Kafka one read. */
  cacheMs: number;
  /** Longest a read may take: a scrape never waits on a Kafka that does not answer. */
  timeoutMs: number;
  onReadFailure: () => void;
  now?: () => number;
}

/**
 * The consumer group's lag per logical topic, read from Kafka when asked: committed group offsets
 * against each partition's high watermark, through an admin client of its own that does not retry
 * (the next scrape is the retry). A read that fails or runs out of time reports no lag at all
 * rather than the last one, which would look like a healthy consumer while Kafka is away.
 */
export class ConsumerLag {
  private readonly logger = new Logger(ConsumerLag.name);
  private readonly now: () => number;
  private admin: Admin | undefined;
  private closed = false;
  private last: { at: number; lag: LagByTopic | undefined } | undefined;
  /** One fetch at a time: one that outlived its timeout is joined, not joined by another. */
  private readonly fetchOnce = singleFlight(() => this.fetch());
  private readonly readOnce = singleFlight(() => this.readBounded());

  constructor(private readonly options: ConsumerLagOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Lag per consumed topic, or undefined when Kafka could not say within the timeout. */
  async read(): Promise<LagByTopic | undefined> {
    // A scrape during shutdown must not connect a client nobody would close.
    if (this.closed) return undefined;
    if (this.last && this.now() - this.last.at < this.options.cacheMs) return this.last.lag;
    return this.readOnce();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.disconnect();
  }

  private async disconnect(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect();
  }

  private async readBounded(): Promise<LagByTopic | undefined> {
    let lag: LagByTopic | undefined;
    try {
      lag = await withTimeout(this.fetchOnce(), this.options.timeoutMs);
    } catch (error) {
      this.options.onReadFailure();
      this.logger.warn({
        msg: 'Could not read the consumer lag from Kafka; none is reported',
        groupId: this.options.groupId,
        failure: describeFailure(error),
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.last = { at: this.now(), lag };
    return lag;
  }

  private async fetch(): Promise<LagByTopic> {
    const topics = this.options.consumed();
    if (topics.length === 0) return new Map();
    const { names, groupId } = this.options;
    try {
      const admin = await this.connectedAdmin();
      const [committed, ...watermarks] = await Promise.all([
        admin.fetchOffsets({ groupId, topics: topics.map((topic) => names.physical(topic)) }),
        ...topics.map((topic) => admin.fetchTopicOffsets(names.physical(topic))),
      ]);
      const committedOf = new Map(
        committed.flatMap(({ topic, partitions }) =>
          partitions.map(({ partition, offset }) => [`${topic}:${partition}`, offset] as const),
        ),
      );
      return new Map(
        topics.map((topic, index) => {
          const physical = names.physical(topic);
          const lag = watermarks[index].reduce(
            (sum, { partition, low, high }) =>
              sum +
              partitionLag({ committed: committedOf.get(`${physical}:${partition}`) ?? '-1', low, high }),
            0,
          );
          return [topic, lag] as const;
        }),
      );
    } catch (error) {
      // A fresh connection next time: after a broker outage the old one may point nowhere.
      await this.disconnect().catch(() => undefined);
      throw error;
    }
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    // Kept before it connects, so close() can end a connect that hangs.
    this.admin = this.options.kafka.admin({ retry: { retries: 0 } });
    await this.admin.connect();
    return this.admin;
  }
}
