import { ConfigError } from '@app/config';
import { DEVELOPMENT_SECRETS_KEY, loadNotificationsConfig } from './notifications.config';

const valid = {
  DATABASE_URL: 'postgres://u:p@db:5432/ticketflow',
  KAFKA_BROKERS: 'kafka:9092',
  REDIS_URL: 'redis://redis:6379',
  API_KEYS: 'default:admin:a-long-enough-admin-key-000',
  SMTP_URL: 'smtp://mail:25',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadNotificationsConfig({ ...valid, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('notifications configuration: delivery throughput', () => {
  it('runs many deliveries at once over a small pool of SMTP connections by default', () => {
    const config = loadNotificationsConfig(valid);
    expect(config.delivery.concurrency).toBe(64);
    expect(config.mailPool).toEqual({ maxConnections: 8, maxMessages: 100 });
  });

  it('takes the concurrency and the pool sizes from the environment', () => {
    const config = loadNotificationsConfig({
      ...valid,
      NOTIFICATIONS_DELIVERY_CONCURRENCY: '200',
      NOTIFICATIONS_SMTP_MAX_CONNECTIONS: '20',
      NOTIFICATIONS_SMTP_MAX_MESSAGES: '1000',
    });
    expect(config.delivery.concurrency).toBe(200);
    expect(config.mailPool).toEqual({ maxConnections: 20, maxMessages: 1000 });
  });

  it('refuses values out of range or not whole numbers, naming each variable', () => {
    const problems = problemsOf({
      NOTIFICATIONS_DELIVERY_CONCURRENCY: '0',
      NOTIFICATIONS_SMTP_MAX_CONNECTIONS: '1000',
      NOTIFICATIONS_SMTP_MAX_MESSAGES: '2.5',
    });
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('NOTIFICATIONS_DELIVERY_CONCURRENCY:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('NOTIFICATIONS_SMTP_MAX_CONNECTIONS:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('NOTIFICATIONS_SMTP_MAX_MESSAGES:'))).toBe(true);
    expect(problemsOf({ NOTIFICATIONS_DELIVERY_CONCURRENCY: 'lots' })).toEqual([
      expect.stringMatching(/^NOTIFICATIONS_DELIVERY_CONCURRENCY: /),
    ]);
  });
});

describe('notifications configuration: webhook safety', () => {
  it('opens no internal destination, signs no escalation and seals with the development key by default', () => {
    const { webhooks } = loadNotificationsConfig(valid);
    expect(webhooks.allowedDestinations.hosts.size).toBe(0);
    expect(webhooks.allowedDestinations.ranges).toHaveLength(0);
    expect(webhooks.tenantSecrets.size).toBe(0);
    expect(webhooks.secretsKeyIsDevelopmentDefault).toBe(true);
    expect(webhooks.secretsKey.toString('base64')).toBe(DEVELOPMENT_SECRETS_KEY);
  });

  it('reads per-tenant escalation secrets, the allow-list and the sealing key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const { webhooks } = loadNotificationsConfig({
      ...valid,
      NOTIFICATIONS_TENANT_WEBHOOK_SECRETS:
        'default:first-tenant-secret-0001, acme:has:colons-in-secret-0002',
      NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: 'hooks.internal,10.0.0.0/8',
      NOTIFICATIONS_SECRETS_KEY: key,
    });
    expect([...webhooks.tenantSecrets]).toEqual([
      ['default', 'first-tenant-secret-0001'],
      ['acme', 'has:colons-in-secret-0002'],
    ]);
    expect([...webhooks.allowedDestinations.hosts]).toEqual(['hooks.internal']);
    expect(webhooks.allowedDestinations.ranges).toHaveLength(1);
    expect(webhooks.secretsKey.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(webhooks.secretsKeyIsDevelopmentDefault).toBe(false);
  });

  it('names each bad webhook setting, never echoing a secret, and refuses the old shared secret', () => {
    const shared = problemsOf({ NOTIFICATIONS_WEBHOOK_SECRET: 'a-shared-secret-for-everyone' });
    expect(shared).toEqual([
      'NOTIFICATIONS_WEBHOOK_SECRET: is no longer read: sign escalation webhooks per tenant with NOTIFICATIONS_TENANT_WEBHOOK_SECRETS',
    ]);
    const problems = problemsOf({
      NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: 'default:short',
      NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: '10.0.0.0/40',
      NOTIFICATIONS_SECRETS_KEY: Buffer.alloc(16).toString('base64'),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: entry 1: secret must be at least 16 characters',
        'NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: entry 1: prefix must be 0 to 32',
        'NOTIFICATIONS_SECRETS_KEY: must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      ]),
    );
    expect(problems).toHaveLength(3);
    expect(
      problemsOf({ NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: 'Bad Tenant:a-long-enough-secret-01' }),
    ).toEqual(['NOTIFICATIONS_TENANT_WEBHOOK_SECRETS: entry 1 must be tenant:secret']);
  });
});

describe('notifications configuration: timers', () => {
  it('arms wake-ups every second by default, and takes another round from the environment', () => {
    expect(loadNotificationsConfig(valid).timers).toEqual({ roundMs: 1_000 });
    expect(loadNotificationsConfig({ ...valid, NOTIFICATIONS_TIMER_ROUND_MS: '250' }).timers).toEqual({
      roundMs: 250,
    });
  });

  it('refuses a round too long for a deadline armed beyond the horizon to get its wake-up in time', () => {
    expect(problemsOf({ NOTIFICATIONS_TIMER_ROUND_MS: '30000' })).toEqual([
      expect.stringMatching(/^NOTIFICATIONS_TIMER_ROUND_MS: /),
    ]);
  });
});

describe('notifications configuration: delivery lease', () => {
  it('gives a send five minutes by default before its watchdog looks again, and takes another lease', () => {
    expect(loadNotificationsConfig(valid).delivery.leaseMs).toBe(300_000);
    expect(
      loadNotificationsConfig({ ...valid, NOTIFICATIONS_DELIVERY_LEASE: 'PT30S' }).delivery.leaseMs,
    ).toBe(30_000);
  });

  it('refuses a lease that is not a duration, or shorter than a second or longer than a day', () => {
    for (const lease of ['5m', 'PT0.5S', 'P2D'])
      expect(problemsOf({ NOTIFICATIONS_DELIVERY_LEASE: lease })).toEqual([
        expect.stringMatching(/^NOTIFICATIONS_DELIVERY_LEASE: /),
      ]);
  });
});
