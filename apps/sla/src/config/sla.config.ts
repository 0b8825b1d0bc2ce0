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

const timersBlock = z
  .object({
    /**
     * How often timer wake-ups entering the horizon are armed, and Redis is checked for lost ones
     * (R3): a Redis that lost its data is refilled from Postgres within one round.
     */
    SLA_TIMER_ROUND_MS: envInt(1_000, 200, 10_000),
  })
  .transform((env) => ({ roundMs: env.SLA_TIMER_ROUND_MS }));

export function loadSlaConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      http: httpBlock('sla', 3003),
      database: databaseBlock('sla'),
      kafka: kafkaBlock('sla'),
      auth: authBlock,
      rateLimit: rateLimitBlock,
      redis: redisBlock,
      timers: timersBlock,
    },
    env,
  );
}

export type SlaConfig = ReturnType<typeof loadSlaConfig>;
