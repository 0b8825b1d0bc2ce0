import { z } from 'zod';
import {
  authBlock,
  databaseBlock,
  envInt,
  httpBlock,
  kafkaBlock,
  loadConfig,
  rateLimitBlock,
  redisBlock,
} from '@app/config';

const routingBlock = z
  .object({
    /** How often routing places queued tickets a race left waiting while an agent has room. */
    ROUTING_RECONCILE_INTERVAL_MS: envInt(2_000, 200, 3_600_000),
  })
  .transform((env) => ({ reconcileIntervalMs: env.ROUTING_RECONCILE_INTERVAL_MS }));

const timersBlock = z
  .object({
    /**
     * How often overflow wake-ups entering the horizon are armed, and Redis is checked for lost
     * ones: a Redis that lost its data is refilled from Postgres within one round. Well under the
     * timers' 30-second horizon, since a deadline armed beyond it gets its wake-up from a round.
     */
    ROUTING_TIMER_ROUND_MS: envInt(1_000, 200, 10_000),
  })
  .transform((env) => ({ roundMs: env.ROUTING_TIMER_ROUND_MS }));

export function loadRoutingConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      http: httpBlock('routing', 3002),
      database: databaseBlock('routing'),
      kafka: kafkaBlock('routing'),
      auth: authBlock,
      rateLimit: rateLimitBlock,
      redis: redisBlock,
      routing: routingBlock,
      timers: timersBlock,
    },
    env,
  );
}

export type RoutingConfig = ReturnType<typeof loadRoutingConfig>;
