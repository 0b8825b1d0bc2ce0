import { type JobsOptions, Queue } from 'bullmq';
import { type Redis } from 'ioredis';
import { type RedisConfig } from '@app/config';
import { type HealthService, type MetricsService } from '@app/observability';
import { assertSafeRedis, createRedisConnection } from './redis';

const LIVE_STATES = new Set(['delayed', 'waiting', 'active', 'prioritized', 'waiting-children']);

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

  async isLive(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    return job !== undefined && LIVE_STATES.has(await job.getState());
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
