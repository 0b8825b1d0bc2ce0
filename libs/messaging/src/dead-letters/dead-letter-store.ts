import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { conflict, notFound, type PageCursor } from '@app/http';
import { KafkaProducer } from '../kafka/kafka-producer';
import { TopicNames } from '../kafka/topic-names';
import { type DeadLetterRecord, type KeptHeader, replayHeaders } from '../transport/dead-letter';

/** Writes the record of a dead letter once: the same consumed record dead-lettered again keeps its row. */
export async function recordDeadLetter(dataSource: DataSource, record: DeadLetterRecord): Promise<void> {
  await dataSource.query(
    `INSERT INTO dead_letters (consumer_group, topic, kafka_partition, kafka_offset, tenant, reason, detail,
       attempts, message_key, message_value, message_headers, message_bytes, message_kept, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT ON CONSTRAINT dead_letters_record_key DO NOTHING`,
    [
      record.consumerGroup,
      record.topic,
      record.partition,
      record.offset,
      record.tenant,
      record.reason,
      record.detail,
      record.attempts,
      record.key,
      record.value,
      JSON.stringify(record.headers),
      record.bytes,
      record.kept,
      record.createdAt,
    ],
  );
}

/**
 * Whose dead letters a caller sees: its own tenant's, and, for the operator, those of no tenant
 * (a record nobody vouched for, such as an unsigned one on the inbound topic).
 */
export interface DeadLetterReader {
  tenant: string;
  operator: boolean;
}

export interface DeadLetterPageQuery {
  topic?: string;
  cursor?: PageCursor;
  limit: number;
  /** The original value and headers, for admins; agents' pages never read them. */
  withMessage: boolean;
}

/** A dead letter as the store reads it; `value` and `headers` only when asked for. */
export interface StoredDeadLetter {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  tenant: string | null;
  reason: string;
  detail: string;
  attempts: number;
  key: Buffer | null;
  value?: Buffer | null;
  headers?: KeptHeader[];
  bytes: number;
  kept: boolean;
  createdAt: Date;
  replayCount: number;
  replayedAt: Date | null;
  replayedBy: string | null;
}

const SUMMARY_COLUMNS = `id, topic, kafka_partition AS "partition", kafka_offset::text AS "offset", tenant,
  reason, detail, attempts, message_key AS "key", message_bytes AS "bytes", message_kept AS "kept",
  created_at AS "createdAt", replay_count AS "replayCount", replayed_at AS "replayedAt",
  replayed_by AS "replayedBy"`;
const MESSAGE_COLUMNS = `message_value AS "value", message_headers AS "headers"`;
const VISIBLE_TO = `(tenant = $1 OR ($2 AND tenant IS NULL))`;

@Injectable()
export class DeadLetterStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: KafkaProducer,
    private readonly topics: TopicNames,
  ) {}

  /** Newest first; one more row than `limit`, which tells the caller another page follows. */
  page(reader: DeadLetterReader, query: DeadLetterPageQuery): Promise<StoredDeadLetter[]> {
    return this.dataSource.query<StoredDeadLetter[]>(
      `SELECT ${SUMMARY_COLUMNS}${query.withMessage ? `, ${MESSAGE_COLUMNS}` : ''}
       FROM dead_letters
       WHERE ${VISIBLE_TO}
         AND ($3::text IS NULL OR topic = $3)
         AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
       ORDER BY created_at DESC, id DESC
       LIMIT $6`,
      [
        reader.tenant,
        reader.operator,
        query.topic ?? null,
        query.cursor?.createdAt ?? null,
        query.cursor?.id ?? null,
        query.limit + 1,
      ],
    );
  }

  /**
   * Produces the original record again, byte for byte with its headers, to its original topic, and
   * counts the replay. The row stays locked until the broker acknowledged (as the outbox relay
   * holds its rows): a replay that fails records nothing and can simply be asked again, and a
   * crash after the acknowledgment leaves a replay uncounted, never lost. A second replay of the
   * same event is harmless: the consumer's inbox knows its id.
   *
   * Not through the outbox: it holds events as JSON documents and publishes them re-serialized and
   * without headers, while a replay must be the original bytes, which on the inbound topic are what
   * the publisher's signature covers.
   */
  replay(reader: DeadLetterReader, id: string, actor: string): Promise<StoredDeadLetter> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query<StoredDeadLetter[]>(
        `SELECT ${SUMMARY_COLUMNS}, ${MESSAGE_COLUMNS} FROM dead_letters
         WHERE ${VISIBLE_TO} AND id = $3 FOR UPDATE`,
        [reader.tenant, reader.operator, id],
      );
      if (!row) throw notFound('dead_letter_not_found', `No dead letter ${id}`);
      if (!row.kept)
        throw conflict(
          'dead_letter_not_kept',
          'The record was larger than a consumer accepts and was not kept; its DLQ topic still has it',
        );
      await this.producer.send([
        {
          topic: this.topics.physical(row.topic),
          messages: [{ key: row.key, value: row.value ?? null, headers: replayHeaders(row.headers ?? []) }],
        },
      ]);
      const [[replayed]] = await manager.query<[StoredDeadLetter[], number]>(
        `UPDATE dead_letters SET replay_count = replay_count + 1, replayed_at = now(), replayed_by = $2
         WHERE id = $1 RETURNING ${SUMMARY_COLUMNS}`,
        [id, actor],
      );
      return replayed;
    });
  }
}
