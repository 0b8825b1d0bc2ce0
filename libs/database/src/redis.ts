import { Redis, type RedisOptions } from 'ioredis';

export class UnsafeRedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeRedisError';
  }
}

/**
 * A connection fit for BullMQ workers: blocking commands must never time out, and a command
 * issued during an outage waits for reconnection instead of failing (R7).
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    ...options,
  });
}

/**
 * R11: an evicting Redis silently drops delayed jobs, and BullMQ only warns about it. Refuse to run.
 */
export async function assertSafeRedis(redis: Redis, options: { requireAof: boolean }): Promise<void> {
  const policy = await configValue(redis, 'maxmemory-policy');
  if (policy !== 'noeviction') {
    throw new UnsafeRedisError(
      `Redis maxmemory-policy is "${policy}"; it must be "noeviction" or queued timers can be evicted. ` +
        'Set `maxmemory-policy noeviction` in redis.conf.',
    );
  }
  if (options.requireAof) {
    const aof = await configValue(redis, 'appendonly');
    if (aof !== 'yes') {
      throw new UnsafeRedisError(
        'Redis appendonly is off but REDIS_REQUIRE_AOF=true; enable `appendonly yes` so a restart keeps queued jobs.',
      );
    }
  }
}

async function configValue(redis: Redis, key: string): Promise<string | undefined> {
  const reply = await redis.config('GET', key);
  return reply[1];
}
