import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { dockerEngineAnswers, provideInfrastructure, type ProvidedInfrastructure } from '@app/testing';

// The testcontainers path runs wherever a Docker engine answers; elsewhere it says so and skips.
const engine = dockerEngineAnswers();
if (!engine) {
  process.stderr.write(
    `[infra] testcontainers: skipped, no Docker engine answers at ${process.env.DOCKER_HOST ?? 'the default socket'}\n`,
  );
}
const describeWithDocker = engine ? describe : describe.skip;

describeWithDocker('testcontainers infrastructure (INFRA=docker)', () => {
  let infrastructure: ProvidedInfrastructure;

  beforeAll(async () => {
    infrastructure = await provideInfrastructure({ ...process.env, INFRA: 'docker' });
  }, 300_000);
  afterAll(() => infrastructure?.stop());

  it('yields a Postgres that answers SQL', async () => {
    const client = new Client({ connectionString: infrastructure.urls.DATABASE_URL });
    await client.connect();
    try {
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('yields a Redis that never evicts', async () => {
    const redis = new Redis(infrastructure.urls.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    } finally {
      redis.disconnect();
    }
  });

  it('yields a Kafka broker that takes a record and gives it back', async () => {
    const kafka = new Kafka({ brokers: [infrastructure.urls.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'testcontainers-check' });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    try {
      await admin.createTopics({
        topics: [{ topic: 'containers.check', numPartitions: 1 }],
        waitForLeaders: true,
      });
      await producer.send({ topic: 'containers.check', messages: [{ key: 'k', value: 'hello' }] });
      await consumer.subscribe({ topic: 'containers.check', fromBeginning: true });
      const received = await new Promise<string>((resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => {
            resolve(message.value?.toString() ?? '');
            return Promise.resolve();
          },
        });
      });
      expect(received).toBe('hello');
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  }, 120_000);
});
