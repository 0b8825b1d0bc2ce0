import { randomUUID } from 'node:crypto';
import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { type Counter, type Histogram } from 'prom-client';
import { type DataSource, type EntityManager } from 'typeorm';
import { type RedisConfig } from '@app/config';
import { afterCommitTogether, JobQueue, JobWorker } from '@app/database';
import { PeriodicTask } from '@app/messaging';
import { activeTraceparent, type HealthService, inSpan, type MetricsService } from '@app/observability';
import { type DueTimer, TimerStore } from './timer-store';
import { type WakeUp, wakeUpsFor } from './wake-up-buckets';

/**
 * Durable timers: every deadline of a service, kept where its state is and fired within a second.
 *
 * The design, and why:
 * - **Postgres holds every armed timer**, as a row of the `timers` table written in the transaction
 *   that decides the deadline. A crash between that commit and anything in Redis loses nothing, and
 *   no reconciler has to page through the app's own tables to find deadlines that Redis lost.
 * - **Redis holds only wake-ups, and only for the near horizon.** A wake-up is one BullMQ job per
 *   short bucket of deadlines (`bucketMs`), due at the bucket's end; a scheduler round arms the
 *   buckets entering the horizon from one range scan of the `(queue, due_at)` index. A clock due
 *   tomorrow costs nothing in Redis today, and deadlines due together fire together.
 * - **A wake-up drains what is due**, in batches of `batchSize` timers per transaction: the rows
 *   are locked (SKIP LOCKED, so concurrent drains share the work), the app's handler fires them,
 *   and the rows go in the same transaction. A timer fires exactly once, and never before its due
 *   time: a wake-up that arrives early waits, and a drain only takes rows due by its own clock.
 * - **Losing Redis is seen, not searched for.** The scheduler keeps an "armed through" marker
 *   beside the wake-ups; FLUSHALL or a restart without persistence removes it, and the next round
 *   (within `roundMs`) arms every due and near bucket again from the same indexed query. Its cost
 *   follows what is due soon, not how many timers are armed.
 * - **One failure handling.** A batch whose handler throws is fired again one timer at a time,
 *   each in its own savepoint; a timer that fails alone is retried with exponential backoff and
 *   failed for good (kept, with its error) after `maxAttempts`. One that lost a deadlock or a
 *   serialization conflict is no failure: it fires again in a moment. Infrastructure errors fail the
 *   wake-up job, which BullMQ retries; the timers wait in Postgres meanwhile.
 *
 * Each use defines its queue and deterministic id once, arms and disarms inside its own
 * transactions, and supplies the handler that fires a batch of due timers under its own locks.
 */
export interface TimerDefinition<Data> {
  /** The BullMQ queue of the wake-ups and the `queue` of the rows: frozen data, never a class name. */
  queue: string;
  /** Deterministic per deadline: arming the same deadline twice keeps one timer. */
  idOf(data: Data): string;
}

export interface TimerOptions {
  /** Deadlines this close together share one wake-up: the most a wake-up adds to lateness. */
  bucketMs: number;
  /** How far ahead wake-ups wait in Redis. */
  horizonMs: number;
  /** How often the scheduler arms the buckets entering the horizon and checks for lost wake-ups. */
  roundMs: number;
  batchSize: number;
  concurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  /**
   * A timer still waiting this long after its due time lost its wake-up (or the process draining it
   * died): one is added, and logged. Well above the drain's own lateness under load (p99 about
   * 150 ms at 2,000 deadlines/s), so it stays quiet unless something was really lost.
   */
  overdueGraceMs: number;
}

const DEFAULT_TIMER_OPTIONS: TimerOptions = {
  bucketMs: 50,
  horizonMs: 30_000,
  roundMs: 1_000,
  batchSize: 200,
  concurrency: 2,
  maxAttempts: 10,
  retryBaseMs: 1_000,
  overdueGraceMs: 2_000,
};

export interface TimerDependencies {
  redis: RedisConfig;
  dataSource: DataSource;
  health: HealthService;
  metrics: MetricsService;
}

export interface ArmedTimer<Data> {
  data: Data;
  at: Date;
}

/** What the handler made of each due timer, in order: done, stale (nothing to do), or not yet. */
export type TimerOutcome = 'fired' | 'stale' | { notBefore: Date };

export type FireTimers<Data> = (
  manager: EntityManager,
  due: Array<DueTimer<Data>>,
  now: Date,
) => Promise<TimerOutcome[]>;

export interface WakeUpRound {
  /** `refill` when the marker was gone: first start, or Redis lost its data. */
  kind: 'window' | 'refill';
  wakeUps: number;
  /** Timers found waiting past the grace period: their wake-up was lost. */
  overdue: number;
}

export type FiredListener = (firedDueAtMs: number[], committedAtMs: number) => void;

interface WakeUpJob {
  at: number;
}

interface FiredBatch {
  claimed: number;
  firedDueAt: number[];
}

/** A wake-up earlier than this sleeps in the worker; an earlier one goes back to the delayed set. */
const MAX_EARLY_WAIT_MS = 10_000;
/** Overdue timers counted per round, at most: enough to tell an operator how bad it is. */
const OVERDUE_COUNT_CAP = 100_000;
const WAKE_UP_JOB = 'timers.wake-up';
/** How soon a timer whose transaction lost a deadlock or a serialization conflict fires again. */
const CONFLICT_RETRY_MS = 50;

/** SQLSTATE 40P01 (deadlock detected) and 40001 (serialization failure): transient by definition. */
function lostLockConflict(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '40P01' || code === '40001';
}

export class DurableTimers<Data> implements OnModuleInit, OnModuleDestroy {
  protected readonly logger: Logger;
  readonly options: TimerOptions;
  readonly wakeUps: JobQueue<WakeUpJob>;
  private readonly store: TimerStore;
  private readonly dataSource: DataSource;
  private worker: JobWorker<WakeUpJob> | undefined;
  private scheduler: WakeUpScheduler | undefined;
  private handler: FireTimers<Data> | undefined;
  private markerSeen = false;
  private closing = false;
  private readonly firedListeners: FiredListener[] = [];
  private readonly fired: Counter;
  private readonly lateness: Histogram;
  private readonly failures: Counter;
  private readonly repairs: Counter;

  constructor(
    private readonly definition: TimerDefinition<Data>,
    private readonly dependencies: TimerDependencies,
    options: Partial<TimerOptions> = {},
  ) {
    this.logger = new Logger(`DurableTimers:${definition.queue}`);
    this.options = { ...DEFAULT_TIMER_OPTIONS, ...options };
    // A deadline armed beyond the horizon gets its wake-up from a round: rounds must come more often.
    if (this.options.roundMs * 2 > this.options.horizonMs)
      throw new Error(
        `Timer rounds of ${this.options.roundMs} ms are too slow for a ${this.options.horizonMs} ms horizon (${definition.queue})`,
      );
    this.store = new TimerStore(definition.queue);
    this.dataSource = dependencies.dataSource;
    this.wakeUps = new JobQueue(definition.queue, dependencies.redis);
    const { metrics } = dependencies;
    this.fired = metrics.counter('timers_fired_total', 'Timers fired, by queue and outcome', [
      'queue',
      'outcome',
    ]);
    this.lateness = metrics.histogram(
      'timer_lateness_seconds',
      'How long after its due time a timer fired',
      ['queue'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60],
    );
    this.failures = metrics.counter('timer_failures_total', 'Timer firings that failed', ['queue', 'final']);
    this.repairs = metrics.counter('timer_repairs_total', 'Wake-ups re-armed because Redis lost them', [
      'queue',
      'reason',
    ]);
  }

  /** R11: refuses an evicting Redis, then reports Redis in readiness. */
  async onModuleInit(): Promise<void> {
    await this.wakeUps.verify(this.dependencies.health);
  }

  /**
   * Waits for the batches in progress, so their transactions end before the pool closes (R8); a
   * drain stops after its current batch and leaves the rest, still in Postgres, to another process.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await this.scheduler?.onModuleDestroy();
    await this.worker?.close();
    await this.wakeUps.close();
  }

  /**
   * Arms timers in the caller's transaction; their wake-ups are added after it commits. Arming an
   * armed timer changes nothing.
   */
  async arm(manager: EntityManager, timers: Array<ArmedTimer<Data>>): Promise<void> {
    await this.insert(manager, timers, false);
  }

  /**
   * Arms the timers of rows this transaction created, whose ids cannot exist yet: no conflict check,
   * as a bulk import of new clocks needs. An id that did exist fails the transaction.
   */
  async armNew(manager: EntityManager, timers: Array<ArmedTimer<Data>>): Promise<void> {
    await this.insert(manager, timers, true);
  }

  private async insert(
    manager: EntityManager,
    timers: Array<ArmedTimer<Data>>,
    fresh: boolean,
  ): Promise<void> {
    if (timers.length === 0) return;
    const traceparent = activeTraceparent();
    await this.store.insert(
      manager,
      timers.map(({ data, at }) => ({ id: this.definition.idOf(data), dueAt: at, data, traceparent })),
      fresh,
    );
    await this.wakeAfterCommit(
      manager,
      timers.map(({ at }) => at.getTime()),
    );
  }

  /** Disarms timers in the caller's transaction. One a drain holds fires and finds itself stale. */
  async disarm(manager: EntityManager, timers: Data[]): Promise<void> {
    await this.store.delete(
      manager,
      timers.map((data) => this.definition.idOf(data)),
    );
  }

  /**
   * Starts firing: the wake-up worker, then the scheduler, whose first round (arming everything
   * due within the horizon) must succeed before the service claims to be up.
   */
  async start(handler: FireTimers<Data>): Promise<void> {
    this.handler = handler;
    this.worker = new JobWorker<WakeUpJob>(
      this.definition.queue,
      this.dependencies.redis,
      (job, token) => this.onWakeUp(job, token),
      { concurrency: this.options.concurrency, logger: this.logger },
    );
    this.worker.worker.on('failed', (job, error) =>
      this.logger.warn({ msg: 'Timer wake-up failed; retrying', jobId: job?.id, error: error.message }),
    );
    this.scheduler = new WakeUpScheduler(this, this.options.roundMs);
    await this.scheduler.onApplicationBootstrap();
  }

  /**
   * One scheduler round: the buckets entering the horizon get their wake-ups, every due and near
   * one when the marker is gone, and timers overdue past the grace period get an immediate one.
   */
  async scheduleWakeUps(): Promise<WakeUpRound> {
    const now = Date.now();
    const until = now + this.options.horizonMs;
    const armedThrough = await this.readMarker();
    const refill = armedThrough === null;
    if (refill) await this.wakeUps.connection.set(this.markerKey(), '0', 'NX');
    const buckets = await this.store.bucketsDue(this.dataSource, armedThrough, until, this.options.bucketMs);
    const wakeUps = this.bucketWakeUps(buckets, now);
    const overdue = refill
      ? 0
      : await this.store.countOverdue(
          this.dataSource,
          new Date(now - this.options.overdueGraceMs),
          OVERDUE_COUNT_CAP,
        );
    if (overdue > 0) wakeUps.push({ jobId: `wake-${now}-${randomUUID()}`, at: now });
    await this.addWakeUps(wakeUps);
    await this.advanceMarker(until);
    this.report(refill, wakeUps.length, overdue);
    this.markerSeen = true;
    return { kind: refill ? 'refill' : 'window', wakeUps: wakeUps.length, overdue };
  }

  /** Fires everything due now, batch after batch, until a batch comes back short or shutdown. */
  async drain(): Promise<number> {
    let fired = 0;
    while (!this.closing) {
      const batch = await this.fireBatch(new Date());
      fired += batch;
      if (batch < this.options.batchSize) break;
    }
    return fired;
  }

  private async onWakeUp(job: Job<WakeUpJob>, token?: string): Promise<number> {
    // A job an earlier release left in this queue (a timer of its own) only wakes a drain now.
    if (job.name !== WAKE_UP_JOB) return this.drain();
    // Redis and this machine's clocks differ by milliseconds: a wake-up that early waits.
    const waitMs = job.data.at - Date.now();
    if (waitMs > MAX_EARLY_WAIT_MS && token) {
      await job.moveToDelayed(job.data.at, token);
      throw new DelayedError();
    }
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    return this.drain();
  }

  private async fireBatch(now: Date): Promise<number> {
    let batch: FiredBatch;
    try {
      batch = await this.dataSource.transaction((manager) => this.fireClaimed(manager, now, false));
    } catch (error) {
      this.logger.warn({
        msg: 'A batch of timers failed; firing them one by one',
        error: (error as Error).message,
      });
      batch = await this.dataSource.transaction((manager) => this.fireClaimed(manager, now, true));
    }
    // Lateness runs to the commit, when what the timer did became true.
    const committedAt = Date.now();
    for (const dueAt of batch.firedDueAt)
      this.lateness.observe({ queue: this.definition.queue }, Math.max(0, committedAt - dueAt) / 1000);
    for (const listener of this.firedListeners) listener(batch.firedDueAt, committedAt);
    return batch.claimed;
  }

  /** Called after each firing transaction commits, with the due times of the timers it fired. */
  onFired(listener: FiredListener): void {
    this.firedListeners.push(listener);
  }

  private async fireClaimed(manager: EntityManager, now: Date, alone: boolean): Promise<FiredBatch> {
    const handler = this.handler;
    if (!handler) throw new Error(`Timers of ${this.definition.queue} fired before start()`);
    const due = await this.store.claimDue<Data>(manager, now, this.options.batchSize);
    if (due.length === 0) return { claimed: 0, firedDueAt: [] };
    const outcomes = await this.inFiringSpan(due, () =>
      alone ? this.fireEachAlone(manager, handler, due, now) : handler(manager, due, now),
    );
    if (outcomes.length !== due.length)
      throw new Error(
        `The ${this.definition.queue} handler returned ${outcomes.length} outcomes for ${due.length} timers`,
      );
    const done: string[] = [];
    const postponed: number[] = [];
    const firedDueAt: number[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const timer = due[index];
      if (outcome === 'failed') continue;
      if (typeof outcome === 'object') {
        await this.store.postpone(manager, timer.id, outcome.notBefore);
        postponed.push(outcome.notBefore.getTime());
        continue;
      }
      done.push(timer.id);
      this.fired.inc({ queue: this.definition.queue, outcome });
      if (outcome === 'fired') firedDueAt.push(timer.dueAt.getTime());
    }
    await this.store.remove(manager, done);
    await this.wakeAfterCommit(manager, postponed);
    return { claimed: due.length, firedDueAt };
  }

  /**
   * A firing continues the trace that armed its timer. A batch of timers armed by many traces is
   * one unit of work serving all of them: linked to each, the child of none (OpenTelemetry's way
   * for batches).
   */
  private inFiringSpan<T>(due: Array<DueTimer<Data>>, fire: () => Promise<T>): Promise<T> {
    const traced = due.map((timer) => timer.traceparent).filter((traceparent) => traceparent !== null);
    if (traced.length === 0) return fire();
    const single = due.length === 1;
    return inSpan(
      `fire ${this.definition.queue}`,
      {
        parent: single ? traced[0] : null,
        links: single ? [] : traced,
        attributes: { 'timer.queue': this.definition.queue, 'timer.count': due.length },
      },
      fire,
    );
  }

  /** Each timer in its own savepoint: one that fails is retried later or failed, the rest fire. */
  private async fireEachAlone(
    manager: EntityManager,
    handler: FireTimers<Data>,
    due: Array<DueTimer<Data>>,
    now: Date,
  ): Promise<Array<TimerOutcome | 'failed'>> {
    const outcomes: Array<TimerOutcome | 'failed'> = [];
    for (const timer of due) {
      try {
        const [outcome] = await manager.transaction((savepoint) => handler(savepoint, [timer], now));
        outcomes.push(outcome);
      } catch (error) {
        if (lostLockConflict(error)) {
          // Postgres chose this transaction to break a deadlock, or a serializable conflict: the
          // timer did nothing wrong. It fires again in a moment and keeps its attempts.
          this.logger.warn({ msg: 'Timer lost a lock conflict; firing it again', timerId: timer.id });
          outcomes.push({ notBefore: new Date(Date.now() + CONFLICT_RETRY_MS) });
          continue;
        }
        const message = (error as Error).message.slice(0, 1_000);
        const retryAt = new Date(
          now.getTime() + this.options.retryBaseMs * 2 ** Math.min(timer.attempts, 20),
        );
        const { final } = await this.store.recordFailure(
          manager,
          timer.id,
          message,
          retryAt,
          this.options.maxAttempts,
        );
        this.failures.inc({ queue: this.definition.queue, final: String(final) });
        this.logger[final ? 'error' : 'warn']({
          msg: final ? 'Timer failed for good; its row keeps the error' : 'Timer failed; retrying',
          timerId: timer.id,
          attempts: timer.attempts + 1,
          error: message,
        });
        if (!final) await this.wakeAfterCommit(manager, [retryAt.getTime()]);
        outcomes.push('failed');
      }
    }
    return outcomes;
  }

  private async wakeAfterCommit(manager: EntityManager, dueAtMs: number[]): Promise<void> {
    if (dueAtMs.length > 0) await afterCommitTogether(manager, this.addWakeUpsFor, dueAtMs);
  }

  /** After a commit: wake-ups for what was armed, in one round trip. */
  private readonly addWakeUpsFor = async (batches: number[][]): Promise<void> => {
    await this.addWakeUps(
      wakeUpsFor(batches.flat(), Date.now(), {
        bucketMs: this.options.bucketMs,
        horizonMs: this.options.horizonMs,
        uniqueSuffix: randomUUID,
      }),
    );
  };

  /** Buckets already over are drained by one immediate wake-up; the rest each get their own. */
  private bucketWakeUps(buckets: number[], now: number): WakeUp[] {
    const wakeUps: WakeUp[] = [];
    if (buckets.some((at) => at <= now)) wakeUps.push({ jobId: `wake-${now}-${randomUUID()}`, at: now });
    for (const at of buckets) if (at > now) wakeUps.push({ jobId: `wake-${at}`, at });
    return wakeUps;
  }

  private async addWakeUps(wakeUps: WakeUp[]): Promise<void> {
    const now = Date.now();
    await this.wakeUps.addNew(
      wakeUps.map(({ jobId, at }) => ({
        name: WAKE_UP_JOB,
        data: { at },
        options: {
          jobId,
          delay: Math.max(0, at - now),
          attempts: 10,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: true,
          removeOnFail: { age: 86_400 },
        },
      })),
    );
  }

  private async readMarker(): Promise<number | null> {
    const value = await this.wakeUps.connection.get(this.markerKey());
    return value === null ? null : Number(value);
  }

  /**
   * Moves the marker forward only if it is still there: when Redis lost its data during this round,
   * the wake-ups just added may be gone too, and the missing marker makes the next round refill.
   */
  private async advanceMarker(until: number): Promise<void> {
    await this.wakeUps.connection.eval(
      `local current = redis.call('GET', KEYS[1])
       if current and tonumber(ARGV[1]) > tonumber(current) then redis.call('SET', KEYS[1], ARGV[1]) end
       return 0`,
      1,
      this.markerKey(),
      String(until),
    );
  }

  private markerKey(): string {
    // Outside BullMQ's own `<prefix>:<queue>:*` keys, where it could be taken for a job id.
    return `${this.dependencies.redis.keyPrefix}:timers-armed-through:${this.definition.queue}`;
  }

  private report(refill: boolean, wakeUps: number, overdue: number): void {
    const queue = this.definition.queue;
    if (refill && this.markerSeen) {
      this.repairs.inc({ queue, reason: 'redis_lost' });
      this.logger.warn({
        msg: 'Redis lost the timer wake-ups; armed them again from Postgres',
        queue,
        wakeUps,
      });
    } else if (refill) {
      this.logger.log({ msg: 'Armed timer wake-ups from Postgres', queue, wakeUps });
    }
    if (overdue > 0) {
      this.repairs.inc({ queue, reason: 'overdue' });
      this.logger.warn({
        msg: 'Timers waited past their due time beyond the grace period; woke a drain',
        queue,
        overdue,
        graceMs: this.options.overdueGraceMs,
      });
    }
  }
}

/** The scheduler's rounds, as every periodic task runs: the first at start-up, never overlapping. */
class WakeUpScheduler extends PeriodicTask {
  constructor(
    private readonly timers: { scheduleWakeUps(): Promise<WakeUpRound> },
    protected readonly intervalMs: number,
  ) {
    super();
  }

  runOnce(): Promise<WakeUpRound> {
    return this.timers.scheduleWakeUps();
  }
}
