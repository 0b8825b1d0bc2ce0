import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { endSpan, SpanKind, startSpan, traceHeadersOf } from '@app/observability';
import { type KafkaProducer } from '../kafka/kafka-producer';
import { type TopicNames } from '../kafka/topic-names';

export interface OutboxRelayOptions {
  schema: string;
  pollIntervalMs: number;
  batchSize: number;
  /** Published rows are kept this long for diagnosis, then deleted. */
  retentionMs?: number;
}

const BUSY_RETRY_MS = 10;

interface ClaimedRow {
  id: string;
  topic: string;
  key: string;
  payload: Record<string, unknown>;
  traceparent: string | null;
}

/**
 * Publishes committed outbox rows to Kafka (R9). Rows are claimed with FOR UPDATE SKIP LOCKED
 * inside a transaction that only commits `published_at` after the broker acknowledged every
 * message; a crash in between republishes them (at-least-once; consumers are idempotent).
 * A transaction-scoped advisory lock lets only one replica relay at a time, which is what keeps
 * per-ticket order when several replicas run: with two relays, SKIP LOCKED alone could let a
 * later row of a ticket overtake an earlier one still held by the other relay.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeSleeper: (() => void) | undefined;
  /** Set by a commit that wrote outbox rows; the loop goes again at once instead of sleeping. */
  private woken = false;
  private lastSuccessAt = Date.now();
  private lastError: string | undefined;
  private published = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: KafkaProducer,
    private readonly topics: TopicNames,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in flight, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeSleeper?.();
    await this.loop;
  }

  /**
   * Called after a transaction that appended outbox rows has committed: publishing starts now
   * instead of at the next poll. The poll stays, for rows other replicas wrote.
   */
  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  get publishedCount(): number {
    return this.published;
  }

  /** Healthy while it keeps succeeding; a broker outage surfaces here instead of wedging silently (R7). */
  health(): { healthy: boolean; error?: string } {
    const stalledMs = Date.now() - this.lastSuccessAt;
    const healthy = this.lastError === undefined || stalledMs < 30_000;
    return { healthy, error: this.lastError };
  }

  async backlog(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      'SELECT count(*) AS count FROM outbox WHERE published_at IS NULL',
    );
    return Number(row?.count ?? 0);
  }

  /** Publishes one batch; returns how many rows it published, or `busy` when another replica is relaying. */
  private async publishBatch(): Promise<number | 'busy'> {
    return this.dataSource.transaction(async (manager) => {
      const [lock] = await manager.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
        [`outbox-relay:${this.options.schema}`],
      );
      if (!lock?.locked) return 'busy';
      const rows = await manager.query<ClaimedRow[]>(
        `SELECT id, topic, key, payload, traceparent FROM outbox
         WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize],
      );
      if (rows.length === 0) return 0;
      await this.sendTraced(rows);
      await manager.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [
        rows.map((row) => row.id),
      ]);
      return rows.length;
    });
  }

  /**
   * One send for the whole batch. A row written inside a trace gets a producer span that continues
   * it, and its record carries that span's context to the consumers; rows without one send bare.
   */
  private async sendTraced(rows: ClaimedRow[]): Promise<void> {
    const byTopic = new Map<
      string,
      Array<{ key: string; value: string; headers?: Record<string, string> }>
    >();
    const spans = [];
    for (const row of rows) {
      const topic = this.topics.physical(row.topic);
      const messages = byTopic.get(topic) ?? [];
      const message = { key: row.key, value: JSON.stringify(row.payload) };
      if (row.traceparent) {
        const span = startSpan(`send ${topic}`, {
          kind: SpanKind.PRODUCER,
          parent: row.traceparent,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.destination.name': topic,
            'messaging.kafka.message.key': row.key,
          },
        });
        spans.push(span);
        messages.push({ ...message, headers: traceHeadersOf(span) });
      } else {
        messages.push(message);
      }
      byTopic.set(topic, messages);
    }
    try {
      await this.producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    } catch (error) {
      for (const span of spans) endSpan(span, error);
      throw error;
    }
    for (const span of spans) endSpan(span);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let lastPurge = 0;
    while (this.running) {
      let published: number | 'busy' = 0;
      this.woken = false;
      try {
        published = await this.publishBatch();
        if (published !== 'busy') this.published += published;
        this.lastSuccessAt = Date.now();
        if (this.lastError) this.logger.log('Outbox relay recovered');
        this.lastError = undefined;
        failures = 0;
        if (Date.now() - lastPurge > 60_000) {
          lastPurge = Date.now();
          await this.purgePublished();
        }
      } catch (error) {
        failures += 1;
        this.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.logger.error({ msg: 'Outbox relay failed; will retry', error: this.lastError, failures });
      }
      // A full batch means more are waiting, and a commit since the claim wrote more: go again at once.
      if (failures === 0 && (published === this.options.batchSize || this.woken)) continue;
      if (failures > 0) await this.sleep(Math.min(this.options.pollIntervalMs * 2 ** failures, 5_000));
      // The replica holding the lock may have claimed before our rows committed: ask again soon.
      else if (published === 'busy') await this.sleep(Math.min(this.options.pollIntervalMs, BUSY_RETRY_MS));
      else await this.sleep(this.options.pollIntervalMs);
    }
  }

  private async purgePublished(): Promise<void> {
    const retentionMs = this.options.retentionMs ?? 24 * 3600_000;
    await this.dataSource.query(
      `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - ($1::bigint * interval '1 millisecond')`,
      [retentionMs],
    );
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }
}
