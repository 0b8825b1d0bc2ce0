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
    /** How often Postgres is compared with Redis to re-arm lost timers and fire overdue ones (R3). */
    SLA_RECONCILE_INTERVAL_MS: envInt(5_000, 200, 3_600_000),
  })
  .transform((env) => ({ reconcileIntervalMs: env.SLA_RECONCILE_INTERVAL_MS }));

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
