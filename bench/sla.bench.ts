/**
 * SLA timers at scale, on the real Postgres and Redis `deploy/local/infra.sh` runs: arms
 * BENCH_CLOCKS clocks (default 1,000,000), each with a warning at 0.5 and a breach, due at a
 * sustained rate, and lets the service's own workers fire them.
 *
 *   npm run bench:sla            # BENCH_CLOCKS, BENCH_RATE (due per second), BENCH_BATCH override
 *
 * It reports the arm rate, Redis memory per armed clock, and how late warnings and breaches fired
 * (p50/p99/max), never asserting them: the machine is shared.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { createSandbox, ensureInfrastructure } from '@app/testing';
import { loadSlaConfig } from '../apps/sla/src/config/sla.config';
import { SlaModule } from '../apps/sla/src/sla.module';
import { JOB_NAME, type SlaJobData, slaJobId } from '../apps/sla/src/timers/sla-jobs';
import { SlaTimers } from '../apps/sla/src/timers/sla-timers';

const CLOCKS = Number(process.env.BENCH_CLOCKS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 5_000);
/** Arming must finish before the first clock is due, or lateness would measure arming. */
const LEAD_MS = Number(process.env.BENCH_LEAD_MS ?? Math.ceil(CLOCKS / 2_000) * 1_000 + 30_000);
const TARGET_MS = 60_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function main(): Promise<void> {
  Object.assign(process.env, ensureInfrastructure());
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
    const memoryBefore = await usedMemory(redis);
    const firstDue = Date.now() + LEAD_MS;
    const started = process.hrtime.bigint();
    for (let offset = 0; offset < CLOCKS; offset += BATCH) {
      const size = Math.min(BATCH, CLOCKS - offset);
      // Clock i is due at firstDue + i/RATE seconds: a sustained rate of deadlines.
      const rows = await db.query<Array<{ id: string; due_at: Date; started_at: Date }>>(
        `INSERT INTO sla_clocks (tenant, ticket_id, metric, policy_id, policy_version, target, target_ms,
                                 started_at, running_since, due_at, state, epoch, explanation)
         SELECT 'default', gen_random_uuid(), 'first_response', $1, 1, 'PT1M', $2::bigint,
                to_timestamp(($3::float8 + n * 1000.0 / $4::float8 - $2::float8) / 1000.0), to_timestamp(($3::float8 + n * 1000.0 / $4::float8 - $2::float8) / 1000.0),
                to_timestamp(($3::float8 + n * 1000.0 / $4::float8) / 1000.0), 'running', 0, 'bench'
         FROM generate_series($5::int, $6::int) AS n
         RETURNING id, due_at, started_at`,
        [policyId, TARGET_MS, firstDue, RATE, offset, offset + size - 1],
      );
      const jobs = rows.flatMap((row) => {
        const breach: SlaJobData = { kind: 'breach', clockId: row.id, epoch: 0 };
        const warning: SlaJobData = { kind: 'warning', clockId: row.id, epoch: 0, fraction: 0.5 };
        const warnAt = row.started_at.getTime() + TARGET_MS / 2;
        return [
          { job: breach, at: row.due_at.getTime() },
          { job: warning, at: warnAt },
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
    const armSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const memoryPerClock = (await usedMemory(redis)) - memoryBefore;
    const armedBeforeDue = Date.now() < firstDue;

    // Let them fire: every clock breaches, each after its warning.
    const lastDue = firstDue + (CLOCKS / RATE) * 1000;
    for (;;) {
      const [{ left }] = await db.query<Array<{ left: number }>>(
        `SELECT count(*)::int AS left FROM sla_clocks WHERE state = 'running'`,
      );
      if (left === 0) break;
      if (Date.now() > lastDue + 600_000) throw new Error(`${left} clocks never breached`);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    const breachLate = (
      await db.query<Array<{ ms: number }>>(
        `SELECT EXTRACT(EPOCH FROM breached_at - due_at) * 1000 AS ms FROM sla_clocks ORDER BY 1`,
      )
    ).map((row) => Number(row.ms));
    const warnings = await db.query<Array<{ ms: number }>>(
      `SELECT EXTRACT(EPOCH FROM (payload::jsonb->'data'->>'warnedAt')::timestamptz - ((payload::jsonb->'data'->>'dueAt')::timestamptz - interval '30 seconds')) * 1000 AS ms
       FROM outbox WHERE payload::jsonb->>'type' = 'sla.warning' ORDER BY 1`,
    );
    const warnLate = warnings.map((row) => Number(row.ms));
    const round = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify(
        {
          clocks: CLOCKS,
          dueRatePerSecond: RATE,
          armSeconds: round(armSeconds),
          armedClocksPerSecond: Math.round(CLOCKS / armSeconds),
          armedBeforeFirstDue: armedBeforeDue,
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
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
    redis.disconnect();
    await sandbox.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
