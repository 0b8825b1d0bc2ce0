import { type Logger } from '@nestjs/common';
import { type Processor, Worker } from 'bullmq';
import { type Redis } from 'ioredis';
import { type RedisConfig } from '@app/config';
import { createRedisConnection } from './redis';

/**
 * A BullMQ worker on its own connection, as every service runs one: a stalled job (its worker died
 * mid-run) is retried rather than failed after one stall, and worker errors are logged. Create it
 * in onApplicationBootstrap, so a Redis that failed the safety check never gets a worker.
 */
export class JobWorker<Data> {
  readonly worker: Worker<Data>;
  private readonly connection: Redis;

  constructor(
    queueName: string,
    redis: RedisConfig,
    processor: Processor<Data>,
    options: { concurrency: number; logger: Logger },
  ) {
    this.connection = createRedisConnection(redis.url);
    this.worker = new Worker<Data>(queueName, processor, {
      connection: this.connection,
      prefix: redis.keyPrefix,
      concurrency: options.concurrency,
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) =>
      options.logger.error({ msg: 'Job worker error', queue: queueName, error: error.message }),
    );
  }

  /** Waits for the jobs in progress, so their transactions finish before the pool closes (R8). */
  async close(): Promise<void> {
    await this.worker.close();
    this.connection.disconnect();
  }
}
