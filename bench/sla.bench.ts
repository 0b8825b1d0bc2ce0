/**
 * SLA timers at scale, on the real Postgres and Redis `deploy/local/infra.sh` runs. Arms
 * BENCH_CLOCKS clocks (default 1,000,000), each with a warning at 0.5 and a breach. The last
 * BENCH_FIRING of them (default 60,000) come due at BENCH_RATE per second (default 200) while all
 * the others stay armed for tomorrow, and the service's own workers fire them. Then it times the
 * reconciler over every armed clock: a full sweep, as after Redis lost its data, and an ordinary
 * incremental round.
 *
 *   npm run bench:sla            # BENCH_CLOCKS, BENCH_FIRING, BENCH_RATE, BENCH_BATCH override
 *
 * It reports the arm rate, Redis memory per armed clock, how late warnings and breaches fired
 * (p50/p99/max) and the reconciler's round times, never asserting them: the machine is shared.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { createSandbox, provideInfrastructure } from '@app/testing';
import { loadSlaConfig } from '../apps/sla/src/config/sla.config';
import { SlaModule } from '../apps/sla/src/sla.module';
import { TimerReconciler } from '../apps/sla/src/timers/reconciler';
import { JOB_NAME, type SlaJobData, slaJobId } from '../apps/sla/src/timers/sla-jobs';
import { SlaTimers } from '../apps/sla/src/timers/sla-timers';

const CLOCKS = Number(process.env.BENCH_CLOCKS ?? 1_000_000);
const FIRING = Math.min(CLOCKS, Number(process.env.BENCH_FIRING ?? 60_000));
const RATE = Number(process.env.BENCH_RATE ?? 200);
const BATCH = Number(process.env.BENCH_BATCH ?? 5_000);
const TARGET_MS = 60_000;
/**
 * The first firing clock's warning (half its target before it is due) must come after arming has
 * finished, or lateness would measure arming.
 */
const LEAD_MS = Number(
  process.env.BENCH_LEAD_MS ?? TARGET_MS / 2 + Math.ceil(FIRING / 2_000) * 1_000 + 10_000,
);
const DAY_MS = 86_400_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** A million armed clocks leave two million jobs behind; the sandbox only drops its database. */
async function forgetRedisKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function main(): Promise<void> {
  Object.assign(process.env, (await provideInfrastructure()).urls);
  const sandbox = await createSandbox({ LOG_LEVEL: 'error', SLA_RECONCILE_INTERVAL_MS: '3600000' });
  const redis = new Redis(sandbox.env.REDIS_URL);
  // The service, with its timer workers, reconciler and outbox relay, as it runs in production.
  const app = await NestFactory.createApplicationContext(SlaModule.forRoot(loadSlaConfig(sandbox.env)), {
    logger: ['error'],
  });
  try {
    const db = app.get(DataSource);
    const timers = app.get(SlaTimers);
    const [{ id: policyId }] = await db.query<Array<{ id: string }>>(
      `INSERT INTO sla_policies (id, version, tenant, name, position, match, targets, pause_on, warn_at, escalation, current, active)
       VALUES ($1, 1, 'default', 'bench', 0, '{}', '{"firstResponse":"PT1M"}', '{pending,on_hold}', '{0.5}', '[]', true, true)
       RETURNING id`,
      [randomUUID()],
    );
    /** Inserts `count` running clocks, clock n due at firstDue + n/RATE seconds, and arms their timers. */
    async function armClocks(count: number, firstDue: number): Promise<void> {
      for (let offset = 0; offset < count; offset += BATCH) {
        const size = Math.min(BATCH, count - offset);
        const rows = await db.query<Array<{ id: string; due_at: Date; started_at: Date }>>(
          `INSERT INTO sla_clocks (tenant, ticket_id, metric, policy_id, policy_version, target, target_ms,
                                   started_at, running_since, due_at, state, epoch, explanation)
           SELECT 'default', gen_random_uuid(), 'first_response', $1, 1, 'PT1M', $2::bigint,
                  to_timestamp(($3::float8 + n * 1000.0 / $4::float8 - $2::float8) / 1000.0),
                  to_timestamp(($3::float8 + n * 1000.0 / $4::float8 - $2::float8) / 1000.0),
                  to_timestamp(($3::float8 + n * 1000.0 / $4::float8) / 1000.0), 'running', 0, 'bench'
           FROM generate_series($5::int, $6::int) AS n
           RETURNING id, due_at, started_at`,
          [policyId, TARGET_MS, firstDue, RATE, offset, offset + size - 1],
        );
        const jobs = rows.flatMap((row) => {
          const breach: SlaJobData = { kind: 'breach', clockId: row.id, epoch: 0 };
          const warning: SlaJobData = { kind: 'warning', clockId: row.id, epoch: 0, fraction: 0.5 };
          return [
            { job: breach, at: row.due_at.getTime() },
            { job: warning, at: row.started_at.getTime() + TARGET_MS / 2 },
          ];
        });
        // The same options SlaTimers.arm sets, added in bulk: arming a million one by one measures round trips.
        await timers.jobs.queue.addBulk(
          jobs.map(({ job, at }) => ({
            name: JOB_NAME[job.kind] as never,
            data: job as never,
            opts: {
              jobId: slaJobId(job),
              delay: Math.max(0, at - Date.now()),
              attempts: 10,
              backoff: { type: 'exponential', delay: 500 },
              removeOnComplete: { age: 3600, count: 10_000 },
              removeOnFail: { age: 7 * 86_400 },
            },
          })),
        );
      }
    }

    const memoryBefore = await usedMemory(redis);
    const started = process.hrtime.bigint();
    // The bulk stays armed for tomorrow; the last FIRING come due at RATE per second from LEAD_MS on.
    await armClocks(CLOCKS - FIRING, Date.now() + DAY_MS);
    const firstDue = Date.now() + LEAD_MS;
    await armClocks(FIRING, firstDue);
    const armSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const memoryPerClock = (await usedMemory(redis)) - memoryBefore;
    const armedBeforeFirstTimer = Date.now() < firstDue - TARGET_MS / 2;

    // Let them fire: every due clock breaches, each after its warning.
    const lastDue = firstDue + (FIRING / RATE) * 1000;
    for (;;) {
      const [{ left }] = await db.query<Array<{ left: number }>>(
        `SELECT count(*)::int AS left FROM sla_clocks WHERE state = 'running' AND due_at < $1`,
        [new Date(lastDue + 1_000)],
      );
      if (left === 0) break;
      if (Date.now() > lastDue + 600_000) throw new Error(`${left} clocks never breached`);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    const breachLate = (
      await db.query<Array<{ ms: number }>>(
        `SELECT EXTRACT(EPOCH FROM breached_at - due_at) * 1000 AS ms FROM sla_clocks WHERE state = 'breached' ORDER BY 1`,
      )
    ).map((row) => Number(row.ms));
    const warnings = await db.query<Array<{ ms: number }>>(
      `SELECT EXTRACT(EPOCH FROM (payload::jsonb->'data'->>'warnedAt')::timestamptz - ((payload::jsonb->'data'->>'dueAt')::timestamptz - interval '30 seconds')) * 1000 AS ms
       FROM outbox WHERE payload::jsonb->>'type' = 'sla.warning' ORDER BY 1`,
    );
    const warnLate = warnings.map((row) => Number(row.ms));

    // The reconciler over everything still armed: a full sweep as after a lost Redis, then a normal round.
    const reconciler = app.get(TimerReconciler);
    await redis.del(`${sandbox.env.REDIS_KEY_PREFIX}:reconciled:${timers.jobs.queue.name}`);
    let at = process.hrtime.bigint();
    const fullSweep = await reconciler.runOnce();
    const fullSweepSeconds = Number(process.hrtime.bigint() - at) / 1e9;
    at = process.hrtime.bigint();
    const incremental = await reconciler.runOnce();
    const incrementalSeconds = Number(process.hrtime.bigint() - at) / 1e9;

    const round = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify(
        {
          clocks: CLOCKS,
          firing: FIRING,
          dueRatePerSecond: RATE,
          armSeconds: round(armSeconds),
          armedClocksPerSecond: Math.round(CLOCKS / armSeconds),
          armedBeforeFirstTimer,
          redisBytesPerClock: Math.round(memoryPerClock / CLOCKS),
          breaches: breachLate.length,
          breachLatenessMs: {
            p50: round(percentile(breachLate, 50)),
            p99: round(percentile(breachLate, 99)),
            max: round(breachLate[breachLate.length - 1] ?? 0),
          },
          warnings: warnLate.length,
          warningLatenessMs: {
            p50: round(percentile(warnLate, 50)),
            p99: round(percentile(warnLate, 99)),
            max: round(warnLate[warnLate.length - 1] ?? 0),
          },
          reconciler: {
            fullSweep: { ...fullSweep, seconds: round(fullSweepSeconds) },
            incremental: { ...incremental, seconds: round(incrementalSeconds) },
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
    await forgetRedisKeys(redis, sandbox.env.REDIS_KEY_PREFIX);
    redis.disconnect();
    await sandbox.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
