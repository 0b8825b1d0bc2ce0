import { Logger } from '@nestjs/common';
import { type JobsOptions, Queue } from 'bullmq';
import { type Redis } from 'ioredis';
import { type RedisConfig } from '@app/config';
import { type HealthService, type MetricsService } from '@app/observability';
import { assertSafeRedis, createRedisConnection } from './redis';

const logger = new Logger('JobQueue');

const LIVE_STATES = new Set(['delayed', 'waiting', 'active', 'prioritized', 'waiting-children']);

export interface NewJob<Data> {
  name: string;
  data: Data;
  options: JobsOptions & { jobId: string };
}

/**
 * A BullMQ queue on its own connection, as every service that schedules work needs it: refused on
 * an unsafe Redis (R11), visible in readiness and in a queue-depth gauge, and with the one add that
 * really schedules a job again. Redis is only the work list; callers keep the truth in Postgres.
 */
export class JobQueue<Data extends object> {
  readonly connection: Redis;
  readonly queue: Queue<Data>;

  constructor(
    name: string,
    private readonly redis: RedisConfig,
  ) {
    this.connection = createRedisConnection(redis.url);
    this.queue = new Queue<Data>(name, { connection: this.connection, prefix: redis.keyPrefix });
    // Without a listener BullMQ writes the connection's errors to the console, not to the JSON log;
    // the connection reconnects by itself, and readiness reports Redis meanwhile.
    this.queue.on('error', (error) =>
      logger.warn({ msg: 'Job queue connection error', queue: name, error: error.message }),
    );
  }

  /** Call from onModuleInit: throws on an evicting Redis, then reports Redis in readiness. */
  async verify(health: HealthService): Promise<void> {
    await assertSafeRedis(this.connection, { requireAof: this.redis.requireAof });
    health.register('redis', async () => {
      await this.connection.ping();
    });
  }

  reportDepth(metrics: MetricsService, metricName: string, help: string): void {
    metrics.gauge(metricName, help, ['state'], async (gauge) => {
      const counts = await this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
      for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
    });
  }

  /**
   * BullMQ silently ignores an add whose id exists, even a finished job's. A finished job with this
   * id is removed first so the work really is scheduled again; a live one is left as it is.
   */
  async addUnlessLive(name: string, data: Data, options: JobsOptions & { jobId: string }): Promise<void> {
    const existing = await this.queue.getJob(options.jobId);
    if (existing) {
      if (LIVE_STATES.has(await existing.getState())) return;
      await existing.remove();
    }
    // BullMQ's name parameter is a template-literal type; ours are plain frozen strings.
    await this.queue.add(name as never, data as never, options);
  }

  /**
   * Jobs for work created just now, such as rows inserted by the transaction that queues them: no
   * job can have their ids yet, so nothing is looked up first, and any number of them costs one
   * round trip. A job whose id did exist would be ignored by BullMQ; the caller's durable timer, a
   * watchdog in Postgres, finds such work again and uses `addUnlessLive`.
   */
  async addNew(jobs: Array<NewJob<Data>>): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ name, data, options }) => ({ name: name as never, data: data as never, opts: options })),
    );
  }

  /**
   * Which of these jobs are scheduled, in one burst: ioredis pipelines commands issued together,
   * so a watchdog checks a batch of jobs for the price of a few round trips.
   */
  async liveAmong(jobIds: string[]): Promise<boolean[]> {
    // Timers wait in the delayed set: one ZSCORE there answers for most of them, where BullMQ's
    // state lookup runs a script of up to eight commands per job. Only the rest need that lookup.
    const delayedKey = this.queue.keys.delayed;
    const scores = await Promise.all(jobIds.map((jobId) => this.connection.zscore(delayedKey, jobId)));
    return Promise.all(
      jobIds.map(async (jobId, index) =>
        scores[index] !== null ? true : LIVE_STATES.has(await this.queue.getJobState(jobId)),
      ),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
