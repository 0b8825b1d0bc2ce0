import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';
import { type InfrastructureUrls } from './infrastructure-urls';

/**
 * Images pinned like docker-compose.yml's. Kafka is Confluent's build of Apache Kafka 3.9 (cp-kafka
 * 7.9), the image @testcontainers/kafka knows how to run in KRaft mode.
 */
export const CONTAINER_IMAGES = {
  postgres: 'postgres:15.19-bookworm',
  redis: 'redis:7.4.11',
  kafka: 'confluentinc/cp-kafka:7.9.0',
} as const;

export interface StartedContainers {
  urls: InfrastructureUrls;
  stop(): Promise<void>;
}

/** Postgres, Redis and Kafka in containers, started together; any failure stops what did start. */
export async function startContainers(): Promise<StartedContainers> {
  const [postgres, redis, kafka] = await Promise.allSettled([
    new PostgreSqlContainer(CONTAINER_IMAGES.postgres)
      .withUsername('ticketflow')
      .withPassword('ticketflow')
      .withDatabase('ticketflow')
      .start(),
    // The services refuse a Redis that may evict or forget their timers (R11), as in production.
    new RedisContainer(CONTAINER_IMAGES.redis)
      .withCommand(['redis-server', '--maxmemory-policy', 'noeviction', '--appendonly', 'yes'])
      .start(),
    new KafkaContainer(CONTAINER_IMAGES.kafka)
      .withKraft()
      // Topics come from the project's provisioner with their partitions, never by accident.
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
      .start(),
  ]);
  const running = [postgres, redis, kafka].flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const stop = async () => {
    await Promise.all(running.map((container) => container.stop()));
  };
  if (postgres.status === 'rejected' || redis.status === 'rejected' || kafka.status === 'rejected') {
    const { reason } = [postgres, redis, kafka].find((result) => result.status === 'rejected')!;
    await stop();
    const why = reason instanceof Error ? reason.message : String(reason);
    throw new Error(`testcontainers could not start the test infrastructure: ${why}`, { cause: reason });
  }

  return {
    urls: {
      DATABASE_URL: postgres.value.getConnectionUri(),
      REDIS_URL: redis.value.getConnectionUrl(),
      // 9093 is the plaintext listener @testcontainers/kafka advertises to the host.
      KAFKA_BROKERS: `${kafka.value.getHost()}:${kafka.value.getMappedPort(9093)}`,
    },
    stop,
  };
}
