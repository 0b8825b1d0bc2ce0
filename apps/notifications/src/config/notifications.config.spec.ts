import { ConfigError } from '@app/config';
import { loadNotificationsConfig } from './notifications.config';

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
