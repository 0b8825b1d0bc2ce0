import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ALL_TOPICS } from '@app/contracts';
import { createSandbox, REPO_ROOT, type TestSandbox } from '@app/testing';
import { intakeDatabase } from '../../apps/intake/src/database/data-source';
import { notificationsDatabase } from '../../apps/notifications/src/database/data-source';
import { routingDatabase } from '../../apps/routing/src/database/data-source';
import { slaDatabase } from '../../apps/sla/src/database/data-source';

const SETTINGS = { database: { url: '', schema: '', poolMax: 1, migrateOnStart: false } };
/** Every migration each service declares: the job must have applied all of them. */
const DECLARED_MIGRATIONS: Record<string, Array<{ name: string }>> = {
  // Migration classes, whose names are what the migrations table records.
  intake: intakeDatabase(SETTINGS).migrations as Array<{ name: string }>,
  routing: routingDatabase(SETTINGS).migrations as Array<{ name: string }>,
  sla: slaDatabase(SETTINGS).migrations as Array<{ name: string }>,
  notifications: notificationsDatabase(SETTINGS).migrations as Array<{ name: string }>,
};

/** The one-shot job `npm run up`, the compose `migrate` service and the Kubernetes Job run. */
describe('bootstrap', () => {
  let sandbox: TestSandbox;

  beforeAll(async () => {
    sandbox = await createSandbox();
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  function bootstrap(...args: string[]) {
    // Only the database and Kafka settings: the job must not need SMTP, Redis or API keys.
    const { DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC_PREFIX } = sandbox.env;
    return spawnSync(process.execPath, [resolve(REPO_ROOT, 'dist/deploy/local/bootstrap.js'), ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC_PREFIX },
      encoding: 'utf8',
      timeout: 120_000,
    });
  }

  async function query<T>(sql: string): Promise<T[]> {
    const db = new Client({ connectionString: sandbox.databaseUrl });
    await db.connect();
    try {
      return (await db.query(sql)).rows as T[];
    } finally {
      await db.end();
    }
  }

  it('migrates every schema, creates every topic with its DLQ and seeds the demo, and can run again', async () => {
    const first = bootstrap('--seed');
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });

    const migrations = await query<{ schema: string; name: string }>(
      `SELECT 'intake' AS schema, name FROM intake.migrations UNION ALL SELECT 'routing', name FROM routing.migrations
       UNION ALL SELECT 'sla', name FROM sla.migrations UNION ALL SELECT 'notifications', name FROM notifications.migrations`,
    );
    const declared = Object.entries(DECLARED_MIGRATIONS).flatMap(([schema, classes]) =>
      classes.map((migration) => `${schema}:${migration.name}`),
    );
    expect(migrations.map((row) => `${row.schema}:${row.name}`).sort()).toEqual(declared.sort());

    const kafka = new Kafka({
      clientId: 'bootstrap-test',
      brokers: sandbox.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = new Set(await admin.listTopics());
      for (const topic of ALL_TOPICS) {
        expect(topics).toContain(`${sandbox.env.KAFKA_TOPIC_PREFIX}${topic}`);
        expect(topics).toContain(`${sandbox.env.KAFKA_TOPIC_PREFIX}${topic}.dlq`);
      }
    } finally {
      await admin.disconnect();
    }

    const demo = async () => ({
      agents: await query<{ email: string; status: string }>(
        `SELECT email, status FROM routing.agents WHERE tenant = 'default' ORDER BY email`,
      ),
      calendars: await query<{ name: string }>(`SELECT name FROM sla.calendars WHERE tenant = 'default'`),
      policies: await query<{ name: string; targets: Record<string, string> }>(
        `SELECT name, targets FROM sla.sla_policies WHERE tenant = 'default' AND current ORDER BY position`,
      ),
    });
    const seeded = await demo();
    expect(seeded.agents).toEqual([
      { email: 'ada@example.com', status: 'online' },
      { email: 'bob@example.com', status: 'online' },
    ]);
    expect(seeded.calendars).toEqual([{ name: 'Always open' }]);
    expect(seeded.policies).toEqual([
      { name: 'Urgent demo', targets: { firstResponse: 'PT30S', resolution: 'PT4H' } },
      { name: 'Default', targets: { firstResponse: 'PT1H', resolution: 'P1D' } },
    ]);

    const again = bootstrap('--seed');
    expect(again.status).toBe(0);
    expect(await demo()).toEqual(seeded);
  });

  it('fails with a clear message, and touches nothing, when the database is not configured', async () => {
    const { KAFKA_BROKERS } = sandbox.env;
    const prefix = `${sandbox.env.KAFKA_TOPIC_PREFIX}unconfigured.`;
    const run = spawnSync(process.execPath, [resolve(REPO_ROOT, 'dist/deploy/local/bootstrap.js')], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('DATABASE_URL');
    expect(run.stdout).toContain('Bootstrap failed');
    const admin = new Kafka({
      clientId: 'bootstrap-test',
      brokers: KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      expect((await admin.listTopics()).filter((topic) => topic.startsWith(prefix))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
