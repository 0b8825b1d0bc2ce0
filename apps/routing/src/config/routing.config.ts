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
    /** How often routing re-arms lost overflow timers and places queued tickets it may have missed. */
    ROUTING_RECONCILE_INTERVAL_MS: envInt(2_000, 200, 3_600_000),
  })
  .transform((env) => ({ reconcileIntervalMs: env.ROUTING_RECONCILE_INTERVAL_MS }));

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
    },
    env,
  );
}

export type RoutingConfig = ReturnType<typeof loadRoutingConfig>;
