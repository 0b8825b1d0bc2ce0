import { z } from 'zod';
import { isIsoDuration, parseIsoDuration } from '@app/contracts';
import {
  authBlock,
  databaseBlock,
  envInt,
  httpBlock,
  kafkaBlock,
  loadConfig,
  rateLimitBlock,
  redisBlock,
  smtpBlock,
} from '@app/config';
import { parseDestinationAllowList } from '@app/http';

const deliveryBlock = z
  .object({
    /**
     * How long a delivery handed to the send queue may take before its watchdog looks again: a row
     * still open then, with no live job, lost its job in Redis and is queued again.
     */
    NOTIFICATIONS_DELIVERY_LEASE: z
      .string()
      .default('PT5M')
      .refine(isIsoDuration, { message: 'must be an ISO 8601 duration such as PT5M' })
      .transform(parseIsoDuration)
      .refine((ms) => ms >= 1_000 && ms <= 86_400_000, { message: 'must be between PT1S and P1D' }),
    /** Attempts per delivery before it is marked failed and shown as such in the ledger. */
    NOTIFICATIONS_SEND_ATTEMPTS: envInt(8, 1, 50),
    /** An email's first retry waits this long; each further one twice as long, up to the cap. */
    NOTIFICATIONS_SEND_BACKOFF_MS: envInt(500, 10, 3_600_000),
    /** The longest any delivery (email, webhook, Slack) waits between two attempts. */
    NOTIFICATIONS_SEND_BACKOFF_MAX_MS: envInt(300_000, 10, 86_400_000),
    /**
     * Delivery jobs one process runs at once. Emails among them also wait for one of the
     * NOTIFICATIONS_SMTP_MAX_CONNECTIONS connections before they are marked `sending`.
     */
    NOTIFICATIONS_DELIVERY_CONCURRENCY: envInt(64, 1, 1_000),
  })
  .transform((env) => ({
    leaseMs: env.NOTIFICATIONS_DELIVERY_LEASE,
    sendAttempts: env.NOTIFICATIONS_SEND_ATTEMPTS,
    backoffMs: env.NOTIFICATIONS_SEND_BACKOFF_MS,
    backoffMaxMs: env.NOTIFICATIONS_SEND_BACKOFF_MAX_MS,
    concurrency: env.NOTIFICATIONS_DELIVERY_CONCURRENCY,
  }));

/** The SMTP connections emails share; `SMTP_URL` says where they go. */
const mailPoolBlock = z
  .object({
    /** Open SMTP connections at most; as many emails are in flight at once. */
    NOTIFICATIONS_SMTP_MAX_CONNECTIONS: envInt(8, 1, 100),
    /** Messages sent over one connection before it is replaced by a fresh one. */
    NOTIFICATIONS_SMTP_MAX_MESSAGES: envInt(100, 1, 100_000),
  })
  .transform((env) => ({
    maxConnections: env.NOTIFICATIONS_SMTP_MAX_CONNECTIONS,
    maxMessages: env.NOTIFICATIONS_SMTP_MAX_MESSAGES,
  }));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(isIsoDuration, { message: 'must be an ISO 8601 duration such as P4D or PT2S' });

const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses `tenant:secret,...`. Errors name the entry by position, never the secret. */
export function parseTenantSecrets(raw: string | undefined): ReadonlyMap<string, string> {
  const secrets = new Map<string, string>();
  (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .forEach((entry, index) => {
      if (!entry) return;
      const separator = entry.indexOf(':');
      const tenant = separator > 0 ? entry.slice(0, separator) : '';
      const secret = entry.slice(separator + 1);
      if (!TENANT.test(tenant)) throw new Error(`entry ${index + 1} must be tenant:secret`);
      if (secret.length < 16) throw new Error(`entry ${index + 1}: secret must be at least 16 characters`);
      if (secrets.has(tenant)) throw new Error(`entry ${index + 1}: tenant ${tenant} is named twice`);
      secrets.set(tenant, secret);
    });
  return secrets;
}

/**
 * Seals webhook secrets at rest. The default is public, in this file and the README: fine for a
 * laptop, worthless in production, which must set its own.
 */
export const DEVELOPMENT_SECRETS_KEY = Buffer.from('ticketflow-development-only-key!').toString('base64');

/** Adds a problem at `path` instead of throwing, as the other blocks report theirs. */
function parsed<T>(ctx: z.RefinementCtx, path: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: [path], message: (error as Error).message });
    return z.NEVER;
  }
}

const webhooksBlock = z
  .object({
    /** Replaced by per-tenant secrets: one shared key would let any tenant forge another's escalations. */
    NOTIFICATIONS_WEBHOOK_SECRET: z
      .undefined({
        message:
          'is no longer read: sign escalation webhooks per tenant with NOTIFICATIONS_TENANT_WEBHOOK_SECRETS',
      })
      .optional(),
    /** Signs deliveries to URLs that a tenant's SLA escalation steps name (`webhook:<url>`). */
    NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: z.string().optional(),
    /** Destinations opened on purpose despite being internal: host names, addresses and CIDR ranges. */
    NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: z.string().optional(),
    /** AES-256-GCM key (base64, 32 bytes) sealing subscriptions' signing secrets in the database. */
    NOTIFICATIONS_SECRETS_KEY: z.string().optional(),
    NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: envInt(10_000, 100, 120_000),
    /** Attempts per webhook delivery, with exponential backoff and jitter, before it is marked failed. */
    NOTIFICATIONS_WEBHOOK_ATTEMPTS: envInt(10, 1, 50),
    /** The first retry's base delay; each later one doubles it. */
    NOTIFICATIONS_WEBHOOK_BACKOFF_MS: envInt(1_000, 10, 3_600_000),
  })
  .transform((env, ctx) => ({
    tenantSecrets: parsed(ctx, 'NOTIFICATIONS_TENANT_WEBHOOK_SECRETS', () =>
      parseTenantSecrets(env.NOTIFICATIONS_TENANT_WEBHOOK_SECRETS),
    ),
    allowedDestinations: parsed(ctx, 'NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS', () =>
      parseDestinationAllowList(env.NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS),
    ),
    secretsKey: parsed(ctx, 'NOTIFICATIONS_SECRETS_KEY', () => {
      const key = Buffer.from(env.NOTIFICATIONS_SECRETS_KEY ?? DEVELOPMENT_SECRETS_KEY, 'base64');
      if (key.length !== 32) throw new Error('must be 32 bytes, base64-encoded (openssl rand -base64 32)');
      return key;
    }),
    secretsKeyIsDevelopmentDefault: env.NOTIFICATIONS_SECRETS_KEY === undefined,
    timeoutMs: env.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS,
    attempts: env.NOTIFICATIONS_WEBHOOK_ATTEMPTS,
    backoffMs: env.NOTIFICATIONS_WEBHOOK_BACKOFF_MS,
  }));

const batchingBlock = z
  .object({
    /**
     * Notices to the same agent about the same ticket within this window go out as one email.
     * PT0S sends each at once.
     */
    NOTIFICATIONS_COALESCE_WINDOW: duration('PT5S'),
    /** How often a team lead who chose digests receives one. */
    NOTIFICATIONS_DIGEST_INTERVAL: duration('PT1H'),
  })
  .transform((env) => ({
    coalesceWindowMs: parseIsoDuration(env.NOTIFICATIONS_COALESCE_WINDOW),
    digestIntervalMs: Math.max(1_000, parseIsoDuration(env.NOTIFICATIONS_DIGEST_INTERVAL)),
  }));

const timersBlock = z
  .object({
    /**
     * How often the wake-ups of timers entering the next 30 seconds are put in Redis, and Redis is
     * checked for lost ones: a Redis that lost its data is refilled from Postgres within one round.
     * Well under those 30 seconds, so a deadline armed further ahead gets its wake-up in time.
     */
    NOTIFICATIONS_TIMER_ROUND_MS: envInt(1_000, 200, 10_000),
  })
  .transform((env) => ({ roundMs: env.NOTIFICATIONS_TIMER_ROUND_MS }));

const followUpsBlock = z
  .object({
    /** After a solve: "we hope this is resolved" with the CSAT link. */
    FOLLOW_UP_SURVEY_AFTER: duration('P1D'),
    /** A solved ticket the customer does not answer is closed after this long. */
    AUTO_CLOSE_AFTER: duration('P4D'),
    /** A pending ticket gets a reminder to the customer after this long... */
    PENDING_REMINDER_AFTER: duration('P3D'),
    /** ...and is solved this long after the reminder if still unanswered. */
    PENDING_AUTO_SOLVE_AFTER: duration('P4D'),
    /**
     * How long the acknowledgment waits for SLA's first-response clock, so it can promise a time.
     * It goes out at once when the clock is already known.
     */
    ACKNOWLEDGMENT_WAIT: duration('PT3S'),
    /** Where customers reach the survey endpoint: links in emails start with it. */
    PUBLIC_URL: z.url().default('http://localhost:3004'),
  })
  .transform((env) => ({
    acknowledgmentWaitMs: parseIsoDuration(env.ACKNOWLEDGMENT_WAIT),
    surveyAfterMs: parseIsoDuration(env.FOLLOW_UP_SURVEY_AFTER),
    autoCloseAfterMs: parseIsoDuration(env.AUTO_CLOSE_AFTER),
    pendingReminderAfterMs: parseIsoDuration(env.PENDING_REMINDER_AFTER),
    pendingAutoSolveAfterMs: parseIsoDuration(env.PENDING_AUTO_SOLVE_AFTER),
    publicUrl: env.PUBLIC_URL.replace(/\/+$/, ''),
  }));

export function loadNotificationsConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      http: httpBlock('notifications', 3004),
      database: databaseBlock('notifications'),
      kafka: kafkaBlock('notifications'),
      auth: authBlock,
      rateLimit: rateLimitBlock,
      redis: redisBlock,
      smtp: smtpBlock,
      mailPool: mailPoolBlock,
      delivery: deliveryBlock,
      webhooks: webhooksBlock,
      batching: batchingBlock,
      timers: timersBlock,
      followUps: followUpsBlock,
    },
    env,
  );
}

export type NotificationsConfig = ReturnType<typeof loadNotificationsConfig>;
