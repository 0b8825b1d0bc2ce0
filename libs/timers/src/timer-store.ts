import { type DataSource, type EntityManager } from 'typeorm';

export interface DueTimer<Data> {
  id: string;
  data: Data;
  dueAt: Date;
  /** Failed firings so far; 0 for a timer firing for the first time. */
  attempts: number;
  /** The trace of the transaction that armed it, when that was traced. */
  traceparent: string | null;
}

export interface TimerRow {
  id: string;
  dueAt: Date;
  data: unknown;
  traceparent?: string | null;
}

/** Every statement on the `timers` table, for one queue. */
export class TimerStore {
  constructor(readonly queue: string) {}

  /**
   * Arming a timer whose id is already armed changes nothing: an id names one deadline, and a
   * deadline that moves gets a new id (an epoch, an attempt). DO NOTHING also never waits for a
   * row a drain has locked, so a transaction holding its own rows cannot deadlock with a drain
   * that is about to lock them.
   */
  async insert(manager: EntityManager, rows: TimerRow[], fresh = false): Promise<void> {
    if (rows.length === 0) return;
    // One JSON document for the whole batch: cheaper to build and to send than one array per column.
    // Ids that cannot exist yet skip the conflict check, which triples the cost of a bulk insert.
    await manager.query(
      `INSERT INTO timers (queue, id, due_at, data, traceparent)
       SELECT $1, id, due_at, data, traceparent
       FROM jsonb_to_recordset($2::jsonb) AS t(id text, due_at timestamptz, data jsonb, traceparent text)
       ${fresh ? '' : 'ON CONFLICT (queue, id) DO NOTHING'}`,
      [
        this.queue,
        JSON.stringify(
          rows.map((row) => ({
            id: row.id,
            due_at: row.dueAt,
            data: row.data,
            traceparent: row.traceparent,
          })),
        ),
      ],
    );
  }

  /**
   * A row a drain holds is left to it: the drain fires it after this transaction commits, and its
   * handler finds it stale then.
   */
  async delete(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `DELETE FROM timers WHERE ctid IN (
         SELECT ctid FROM timers WHERE queue = $1 AND id = ANY($2::text[]) FOR UPDATE SKIP LOCKED)`,
      [this.queue, ids],
    );
  }

  /** Locks up to `limit` due timers, oldest first, skipping those another drain holds. */
  async claimDue<Data>(manager: EntityManager, now: Date, limit: number): Promise<Array<DueTimer<Data>>> {
    const rows = await manager.query<
      Array<{ id: string; data: Data; due_at: Date; attempts: number; traceparent: string | null }>
    >(
      `SELECT id, data, due_at, attempts, traceparent FROM timers
       WHERE queue = $1 AND failed_at IS NULL AND due_at <= $2
       ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [this.queue, now, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      data: row.data,
      dueAt: row.due_at,
      attempts: row.attempts,
      traceparent: row.traceparent,
    }));
  }

  /** The claimed timers that fired (or were stale): their rows go in the firing transaction. */
  async remove(manager: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`DELETE FROM timers WHERE queue = $1 AND id = ANY($2::text[])`, [this.queue, ids]);
  }

  async postpone(manager: EntityManager, id: string, until: Date): Promise<void> {
    await manager.query(`UPDATE timers SET due_at = $3 WHERE queue = $1 AND id = $2`, [
      this.queue,
      id,
      until,
    ]);
  }

  /**
   * A timer whose firing failed on its own: tried again at `retryAt`, or failed for good (kept,
   * with its error, out of every drain) once it has failed `maxAttempts` times.
   */
  async recordFailure(
    manager: EntityManager,
    id: string,
    error: string,
    retryAt: Date,
    maxAttempts: number,
  ): Promise<{ final: boolean }> {
    const [rows] = await manager.query<[Array<{ final: boolean }>, number]>(
      `UPDATE timers SET
         attempts = attempts + 1,
         last_error = $3,
         due_at = CASE WHEN attempts + 1 >= $5 THEN due_at ELSE $4 END,
         failed_at = CASE WHEN attempts + 1 >= $5 THEN now() END
       WHERE queue = $1 AND id = $2
       RETURNING failed_at IS NOT NULL AS final`,
      [this.queue, id, error, retryAt, maxAttempts],
    );
    return { final: rows[0]?.final ?? false };
  }

  /**
   * The distinct wake-up instants (bucket ends) of the timers due in (after, until]; every due
   * one up to `until` when `after` is null. One range scan of the due index.
   */
  async bucketsDue(
    dataSource: DataSource,
    after: number | null,
    until: number,
    bucketMs: number,
  ): Promise<number[]> {
    const rows = await dataSource.query<Array<{ at: string }>>(
      `SELECT DISTINCT ceil(extract(epoch FROM due_at) * 1000 / $4) * $4 AS at FROM timers
       WHERE queue = $1 AND failed_at IS NULL AND due_at > $2 AND due_at <= $3`,
      [this.queue, new Date(after ?? 0), new Date(until), bucketMs],
    );
    return rows.map((row) => Number(row.at)).sort((a, b) => a - b);
  }

  /** How many timers (counted up to `cap`) are still waiting although they were due before `before`. */
  async countOverdue(dataSource: DataSource, before: Date, cap: number): Promise<number> {
    const [{ count }] = await dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM (
         SELECT 1 FROM timers WHERE queue = $1 AND failed_at IS NULL AND due_at < $2 LIMIT $3) AS overdue`,
      [this.queue, before, cap],
    );
    return count;
  }
}
