import { DEFAULT_TENANT } from '@app/contracts';
import { parseApiKeys } from '@app/http';
import { z } from 'zod';
import { envBoolean, envInt } from './load-config';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export type ServiceName = 'intake' | 'routing' | 'sla' | 'notifications';

/** HTTP server and process settings. Each service has its own port variable (PRODUCT.md). */
export const httpBlock = (service: ServiceName, defaultPort: number) => {
  const portVar = `${service.toUpperCase()}_PORT`;
  return z
    .object({
      [portVar]: envInt(defaultPort, 1, 65535),
      HOST: z.string().default('0.0.0.0'),
      LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
      HTTP_BODY_LIMIT: z
        .string()
        .regex(/^\d+(kb|mb)$/)
        .default('256kb'),
      SHUTDOWN_TIMEOUT_MS: envInt(20_000, 1_000, 300_000),
      /** `false`, a hop count, or addresses/CIDRs of the proxies whose X-Forwarded-For to believe. */
      HTTP_TRUST_PROXY: z
        .string()
        .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/,\s]+|loopback|linklocal|uniquelocal)$/, {
          message: 'must be true, false, a hop count, or comma-separated proxy addresses or CIDRs',
        })
        .default('false'),
    })
    .transform((env) => ({
      service,
      port: env[portVar] as number,
      host: env.HOST as string,
      logLevel: env.LOG_LEVEL as LogLevel,
      bodyLimit: env.HTTP_BODY_LIMIT as string,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS as number,
      trustProxy: trustProxy(env.HTTP_TRUST_PROXY as string),
    }));
};
export type HttpConfig = z.output<ReturnType<typeof httpBlock>>;

function trustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Requests per window, per API key and, for callers without a valid key, per client address;
 * counted in Redis so all replicas share them. `undefined` when switched off.
 */
export const rateLimitBlock = z
  .object({
    RATE_LIMIT_DISABLED: envBoolean(false),
    RATE_LIMIT_WINDOW_SECONDS: envInt(60, 1, 3_600),
    RATE_LIMIT_PER_KEY: envInt(6_000, 1, 10_000_000),
    RATE_LIMIT_PER_ADDRESS: envInt(600, 1, 10_000_000),
    RATE_LIMIT_AUTH_FAILURES: envInt(20, 1, 1_000_000),
  })
  .transform((env) =>
    env.RATE_LIMIT_DISABLED
      ? undefined
      : {
          windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
          perKey: env.RATE_LIMIT_PER_KEY,
          perAddress: env.RATE_LIMIT_PER_ADDRESS,
          authFailuresPerAddress: env.RATE_LIMIT_AUTH_FAILURES,
        },
  );
export type RateLimitConfig = z.output<typeof rateLimitBlock>;

export const databaseBlock = (service: ServiceName) =>
  z
    .object({
      DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
      DATABASE_SCHEMA: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/)
        .default(service),
      DATABASE_POOL_MAX: envInt(10, 1, 200),
      DATABASE_MIGRATE_ON_START: envBoolean(true),
    })
    .transform((env) => ({
      url: env.DATABASE_URL,
      schema: env.DATABASE_SCHEMA,
      poolMax: env.DATABASE_POOL_MAX,
      migrateOnStart: env.DATABASE_MIGRATE_ON_START,
    }));
export type DatabaseConfig = z.output<ReturnType<typeof databaseBlock>>;

export const kafkaBlock = (service: ServiceName) =>
  z
    .object({
      KAFKA_BROKERS: z
        .string()
        .min(1)
        .transform((v) =>
          v
            .split(',')
            .map((b) => b.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1)),
      KAFKA_CLIENT_ID: z.string().default(`ticketflow-${service}`),
      KAFKA_GROUP_ID: z.string().optional(),
      /** Lets several environments (or test runs) share one cluster without seeing each other. */
      KAFKA_TOPIC_PREFIX: z
        .string()
        .regex(/^[A-Za-z0-9._-]*$/)
        .default(''),
      KAFKA_TOPIC_PARTITIONS: envInt(3, 1, 1000),
      KAFKA_REPLICATION_FACTOR: envInt(1, 1, 10),
      KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
      KAFKA_SASL_USERNAME: z.string().optional(),
      KAFKA_SASL_PASSWORD: z.string().optional(),
      KAFKA_SSL: envBoolean(false),
      KAFKA_HANDLER_MAX_ATTEMPTS: envInt(5, 1, 100),
      KAFKA_HANDLER_RETRY_MS: envInt(200, 10, 60_000),
      KAFKA_CONSUMER_BATCH_SIZE: envInt(100, 1, 1_000),
      KAFKA_PARTITIONS_CONCURRENTLY: envInt(3, 1, 64),
      OUTBOX_POLL_INTERVAL_MS: envInt(1_000, 10, 60_000),
      OUTBOX_BATCH_SIZE: envInt(100, 1, 5_000),
    })
    .refine((env) => !env.KAFKA_SASL_MECHANISM || (env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD), {
      message: 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM',
      path: ['KAFKA_SASL_MECHANISM'],
    })
    .transform((env) => ({
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      // The prefix namespaces groups too: two environments on one cluster must never share a group.
      groupId: env.KAFKA_GROUP_ID ?? `${env.KAFKA_TOPIC_PREFIX}ticketflow-${service}`,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      ssl: env.KAFKA_SSL,
      sasl:
        env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
          ? {
              mechanism: env.KAFKA_SASL_MECHANISM,
              username: env.KAFKA_SASL_USERNAME,
              password: env.KAFKA_SASL_PASSWORD,
            }
          : undefined,
      handlerMaxAttempts: env.KAFKA_HANDLER_MAX_ATTEMPTS,
      handlerRetryMs: env.KAFKA_HANDLER_RETRY_MS,
      consumerBatchSize: env.KAFKA_CONSUMER_BATCH_SIZE,
      partitionsConcurrently: env.KAFKA_PARTITIONS_CONCURRENTLY,
      outboxPollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
      outboxBatchSize: env.OUTBOX_BATCH_SIZE,
    }));
export type KafkaConfig = z.output<ReturnType<typeof kafkaBlock>>;

export const redisBlock = z
  .object({
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]+$/)
      .default('ticketflow'),
    /** Production should also demand AOF so a Redis restart keeps armed timers (R11). */
    REDIS_REQUIRE_AOF: envBoolean(false),
  })
  .transform((env) => ({
    url: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    requireAof: env.REDIS_REQUIRE_AOF,
  }));
export type RedisConfig = z.output<typeof redisBlock>;

export const authBlock = z
  .object({
    API_KEYS: z.string({ message: 'is required: comma-separated tenant:role:key entries' }).min(1),
    /**
     * The tenant whose admins run the deployment: they alone see what belongs to no tenant (a dead
     * letter nobody vouches for) and what every tenant shares (the queue dashboard). `default` is
     * the tenant of events that name none, the one a single-tenant deployment has.
     */
    OPERATOR_TENANT: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a tenant name like those in API_KEYS')
      .default(DEFAULT_TENANT),
  })
  .transform((env, ctx) => {
    try {
      return { apiKeys: parseApiKeys(env.API_KEYS), operatorTenant: env.OPERATOR_TENANT };
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['API_KEYS'], message: (error as Error).message });
      return z.NEVER;
    }
  });
export type AuthConfig = z.output<typeof authBlock>;

export const smtpBlock = z
  .object({
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'),
    SMTP_FROM: z.string().default('Support <support@ticketflow.local>'),
  })
  .transform((env) => ({ url: env.SMTP_URL, from: env.SMTP_FROM }));
export type SmtpConfig = z.output<typeof smtpBlock>;
