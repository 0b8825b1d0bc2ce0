import { z } from 'zod';
import {
  authBlock,
  databaseBlock,
  envInt,
  httpBlock,
  kafkaBlock,
  loadConfig,
  redisBlock,
  smtpBlock,
} from '@app/config';

const deliveryBlock = z
  .object({
    /** How often pending deliveries without a live job are handed to the queue again. */
    NOTIFICATIONS_RECONCILE_INTERVAL_MS: envInt(10_000, 200, 3_600_000),
    /** Attempts per delivery before it is marked failed and shown as such in the ledger. */
    NOTIFICATIONS_SEND_ATTEMPTS: envInt(8, 1, 50),
  })
  .transform((env) => ({
    reconcileIntervalMs: env.NOTIFICATIONS_RECONCILE_INTERVAL_MS,
    sendAttempts: env.NOTIFICATIONS_SEND_ATTEMPTS,
  }));

export function loadNotificationsConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      http: httpBlock('notifications', 3004),
      database: databaseBlock('notifications'),
      kafka: kafkaBlock('notifications'),
      auth: authBlock,
      redis: redisBlock,
      smtp: smtpBlock,
      delivery: deliveryBlock,
    },
    env,
  );
}

export type NotificationsConfig = ReturnType<typeof loadNotificationsConfig>;
