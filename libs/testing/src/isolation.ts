import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const TEST_API_KEYS = {
  admin: 'default:admin:test-admin-key-0000000001',
  agent: 'default:agent:test-agent-key-0000000001',
  publisher: 'default:publisher:test-publisher-key-001',
  otherTenantAdmin: 'other:admin:test-other-admin-key-00001',
} as const;

/** Systems allowed to publish on the inbound topic in tests, as INBOUND_PUBLISHERS lists them. */
export const TEST_PUBLISHERS = {
  gateway: { name: 'test-gateway', tenants: ['default'], secret: 'test-gateway-signing-secret-0000000001' },
  otherGateway: {
    name: 'other-gateway',
    tenants: ['other'],
    secret: 'other-gateway-signing-secret-000000001',
  },
} as const;

/** The bearer token of one of the test keys above. */
export function bearer(key: keyof typeof TEST_API_KEYS): string {
  return `Bearer ${TEST_API_KEYS[key].split(':')[2]}`;
}

function infraUrl(name: 'DATABASE_URL' | 'REDIS_URL' | 'KAFKA_BROKERS'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest.int.config.ts`);
  return value;
}

/**
 * A private slice of the shared infrastructure for one test file: its own database, Kafka topic
 * prefix and Redis key prefix, so test files can run in parallel without seeing each other.
 */
export interface TestSandbox {
  id: string;
  databaseUrl: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function createSandbox(overrides: Record<string, string> = {}): Promise<TestSandbox> {
  const id = `t${randomBytes(5).toString('hex')}`;
  const adminUrl = infraUrl('DATABASE_URL');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${id}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${id}`;
  const databaseUrl = url.toString();
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: infraUrl('REDIS_URL'),
    REDIS_KEY_PREFIX: id,
    KAFKA_BROKERS: infraUrl('KAFKA_BROKERS'),
    KAFKA_TOPIC_PREFIX: `${id}.`,
    KAFKA_HANDLER_RETRY_MS: '50',
    OUTBOX_POLL_INTERVAL_MS: '50',
    API_KEYS: Object.values(TEST_API_KEYS).join(','),
    INBOUND_PUBLISHERS: Object.values(TEST_PUBLISHERS)
      .map((publisher) => `${publisher.name}:${publisher.tenants.join('|')}:${publisher.secret}`)
      .join(','),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...overrides,
  };
  return {
    id,
    databaseUrl,
    env,
    async dispose() {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
