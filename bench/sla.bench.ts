/**
 * SLA timers at scale, on the real Postgres, Redis and Kafka `deploy/local/infra.sh` runs, with
 * the sla service's own timer workers, scheduler and outbox relay.
 *
 *   npm run bench:sla
 *
 *   BENCH_CLOCKS=1000000   clocks armed over the next 24 hours, each with a warning at 0.5 and a breach
 *   BENCH_RATE=2000        deadlines per second in the firing slice (warnings and breaches mixed)
 *   BENCH_SECONDS=60       length of the firing slice
 *   BENCH_BATCH=5000       clocks inserted and armed per transaction
 *   BENCH_ARM_CONCURRENCY=2  arming transactions at once
 *   BENCH_OVERDUE=2000     deadlines overdue when Redis is flushed, for the recovery figure
 *
 * Phases: the machine's raw ceilings (Postgres commits, Redis writes); arming every clock; the
 * firing slice, whose lateness runs from each due instant to the commit of its event; then
 * Redis losing all of the service's keys (as FLUSHALL would) twice with deadlines overdue, once with every clock armed and once with a tenth, timing
 * how long until every overdue one has fired. It reports and never asserts: the machine is shared.
 * The last line is one JSON object of the figures.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { MetricsService } from '@app/observability';
import { createSandbox, provideInfrastructure } from '@app/testing';
import { type SlaJobData, SlaTimers } from '../apps/sla/src/clocks/sla-timers';
import { loadSlaConfig } from '../apps/sla/src/config/sla.config';
import { SlaModule } from '../apps/sla/src/sla.module';
import { insertCeiling } from './e2e/ceilings';

const CLOCKS = Number(process.env.BENCH_CLOCKS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 2_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const BATCH = Number(process.env.BENCH_BATCH ?? 5_000);
const OVERDUE = Number(process.env.BENCH_OVERDUE ?? 2_000);
const ARM_CONCURRENCY = Number(process.env.BENCH_ARM_CONCURRENCY ?? 2);
/** Two deadlines per clock (the warning half-way), so the slice needs RATE / 2 clocks a second. */
const FIRING = Math.min(CLOCKS, Math.round((RATE / 2) * SECONDS));
const TARGET_MS = 2_000;
const DAY_MS = 86_400_000;
/** The far clocks start after the run is over: none of them fires during it. */
const FAR_FROM_MS = 3_600_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** What the service's own keys take, by MEMORY USAGE: the shared server's other tenants do not count. */
async function keyBytes(redis: Redis, prefix: string): Promise<number> {
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    for (const key of keys) bytes += (await redis.memory('USAGE', key)) ?? 0;
    cursor = next;
  } while (cursor !== '0');
  return bytes;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Pipelined single-key writes from one client: what Redis itself takes on this machine. */
async function redisWriteCeiling(redis: Redis, prefix: string, seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let writes = 0;
  while (Date.now() < until) {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 1_000; i += 1) pipeline.set(`${prefix}:ceiling:${i}`, String(writes + i));
    await pipeline.exec();
    writes += 1_000;
  }
  return Math.round(writes / seconds);
}

/** The sandbox drops its database; Redis keys under its prefix go here. */
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
  const sandbox = await createSandbox({ LOG_LEVEL: 'error' });
  const redis = new Redis(sandbox.env.REDIS_URL);
  const prefix = sandbox.env.REDIS_KEY_PREFIX;

  console.log('Raw ceilings');
  const inserts = await insertCeiling(sandbox.databaseUrl, { seconds: 5, clients: 2 });
  const redisWrites = await redisWriteCeiling(redis, prefix, 2);
  console.log({ postgresInserts: inserts, redisWritesPerS: redisWrites });

  const app = await NestFactory.createApplicationContext(SlaModule.forRoot(loadSlaConfig(sandbox.env)), {
    logger: ['error'],
  });
  try {
    const db = app.get(DataSource);
    const timers = app.get(SlaTimers);
    const lateness: number[] = [];
    timers.onFired((dueAtMs, committedAtMs) => {
      for (const due of dueAtMs) lateness.push(committedAtMs - due);
    });
    const [{ id: policyId }] = await db.query<Array<{ id: string }>>(
      `INSERT INTO sla_policies (id, version, tenant, name, position, match, targets, pause_on, warn_at, escalation, current, active)
       VALUES ($1, 1, 'default', 'bench', 0, '{}', '{"firstResponse":"PT2S"}', '{pending,on_hold}', '{0.5}', '[]', true, true)
       RETURNING id`,
      [randomUUID()],
    );

    /**
     * Inserts `count` running clocks due from `firstDue`, `spacingMs` apart, and arms their warning
     * and breach through SlaTimers, BATCH clocks per transaction as a bulk import would.
     */
    const armTime = { clocksMs: 0, timersMs: 0, commitMs: 0 };
    async function armClocks(count: number, firstDue: number, spacingMs: number): Promise<void> {
      const batches: number[] = [];
      for (let offset = 0; offset < count; offset += BATCH) batches.push(offset);
      // ARM_CONCURRENCY transactions at once, as a bulk import on as many connections would run.
      await Promise.all(
        Array.from({ length: ARM_CONCURRENCY }, async () => {
          for (let offset = batches.shift(); offset !== undefined; offset = batches.shift())
            await armBatch(offset, Math.min(BATCH, count - offset), firstDue, spacingMs);
        }),
      );
    }

    async function armBatch(
      offset: number,
      size: number,
      firstDue: number,
      spacingMs: number,
    ): Promise<void> {
      let mark = Date.now();
      await db.transaction(async (manager) => {
        const rows = await manager.query<Array<{ id: string; due_at: Date; started_at: Date }>>(
          `INSERT INTO sla_clocks (tenant, ticket_id, metric, policy_id, policy_version, target, target_ms,
                                   started_at, running_since, due_at, state, epoch, explanation)
           SELECT 'default', gen_random_uuid(), 'first_response', $1, 1, 'PT2S', $2::bigint, s, s,
                  s + $2::bigint * interval '1 millisecond', 'running', 0, 'bench'
           FROM generate_series($5::int, $6::int) AS n,
                LATERAL (SELECT to_timestamp(round($3::float8 + n * $4::float8 - $2::float8) / 1000.0) AS s) AS start
           RETURNING id, due_at, started_at`,
          [policyId, TARGET_MS, firstDue, spacingMs, offset, offset + size - 1],
        );
        armTime.clocksMs += Date.now() - mark;
        mark = Date.now();
        await timers.armNew(
          manager,
          rows.flatMap((row) => [
            { data: { kind: 'breach', clockId: row.id, epoch: 0 } satisfies SlaJobData, at: row.due_at },
            {
              data: { kind: 'warning', clockId: row.id, epoch: 0, fraction: 0.5 } satisfies SlaJobData,
              at: new Date(row.started_at.getTime() + TARGET_MS / 2),
            },
          ]),
        );
        armTime.timersMs += Date.now() - mark;
        mark = Date.now();
      });
      armTime.commitMs += Date.now() - mark;
    }

    console.log(`Arming ${CLOCKS} clocks`);
    const memoryBefore = await usedMemory(redis);
    const armStarted = process.hrtime.bigint();
    const far = CLOCKS - FIRING;
    await armClocks(far, Date.now() + FAR_FROM_MS, (DAY_MS - FAR_FROM_MS) / Math.max(1, far));
    const armFarSeconds = Number(process.hrtime.bigint() - armStarted) / 1e9;
    const redisBytesPerClock = ((await usedMemory(redis)) - memoryBefore) / CLOCKS;
    const redisKeyBytesPerClock = (await keyBytes(redis, prefix)) / CLOCKS;
    // The slice starts once it is armed, outside the wake-up horizon until then.
    const firstDue = Date.now() + Math.ceil(FIRING / 20_000) * 1_000 + 5_000;
    await armClocks(FIRING, firstDue, 2_000 / RATE);
    const armSeconds = Number(process.hrtime.bigint() - armStarted) / 1e9;
    const armedBeforeFirstTimer = Date.now() < firstDue - TARGET_MS / 2;
    console.log({ armSeconds: round1(armSeconds), ...armTime });

    console.log(`Firing ${FIRING * 2} deadlines at ${RATE}/s`);
    let redisPeak = 0;
    const sampler = setInterval(() => {
      void usedMemory(redis).then((bytes) => (redisPeak = Math.max(redisPeak, bytes - memoryBefore)));
    }, 1_000);
    const lastDue = firstDue + (FIRING * 2_000) / RATE;
    for (;;) {
      const [{ left }] = await db.query<Array<{ left: number }>>(
        `SELECT count(*)::int AS left FROM sla_clocks WHERE state = 'running' AND due_at < $1`,
        [new Date(lastDue + 1_000)],
      );
      if (left === 0 && Date.now() > lastDue) break;
      if (Date.now() > lastDue + 600_000) throw new Error(`${left} clocks never breached`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    clearInterval(sampler);
    // Nothing was lost while the slice fired: a repair here would be a false alarm.
    const repairs = await app.get(MetricsService).registry.getSingleMetric('timer_repairs_total')?.get();
    const repairsDuringFiring = repairs?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
    const slice = lateness.splice(0).sort((a, b) => a - b);
    const [{ breaches, warnings }] = await db.query<Array<{ breaches: number; warnings: number }>>(
      `SELECT count(*) FILTER (WHERE payload->>'type' = 'sla.breached')::int AS breaches,
              count(*) FILTER (WHERE payload->>'type' = 'sla.warning')::int AS warnings FROM outbox`,
    );

    /**
     * FLUSHALL with `OVERDUE` deadlines already due and never woken (inserted behind the timers'
     * back, as if they came due while Redis was away): seconds until the last of them has fired.
     */
    async function flushRecovery(): Promise<{ seconds: number; fired: number; twice: number }> {
      const before = lateness.length;
      const overdueFrom = Date.now() - 10_000;
      await db.query(
        `WITH clocks AS (
           INSERT INTO sla_clocks (tenant, ticket_id, metric, policy_id, policy_version, target, target_ms,
                                   started_at, running_since, due_at, state, epoch, explanation)
           SELECT 'default', gen_random_uuid(), 'first_response', $1, 1, 'PT2S', 2000, s - interval '2 seconds',
                  s - interval '2 seconds', s, 'running', 0, 'bench-overdue'
           FROM generate_series(1, $2::int) AS n, LATERAL (SELECT to_timestamp(($3::float8 + n) / 1000.0) AS s) AS due
           RETURNING id, due_at)
         INSERT INTO timers (queue, id, due_at, data)
         SELECT 'sla-timers', 'breach-' || id || '-0', due_at,
                jsonb_build_object('kind', 'breach', 'clockId', id, 'epoch', 0) FROM clocks`,
        [policyId, OVERDUE, overdueFrom],
      );
      const flushedAt = Date.now();
      // Everything the service keeps in Redis goes at once, as FLUSHALL would; the server is shared.
      await forgetRedisKeys(redis, prefix);
      for (;;) {
        const [{ left }] = await db.query<Array<{ left: number }>>(
          `SELECT count(*)::int AS left FROM sla_clocks WHERE explanation = 'bench-overdue' AND state = 'running'`,
        );
        if (left === 0) break;
        if (Date.now() > flushedAt + 120_000) throw new Error(`${left} overdue clocks never breached`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const seconds = (Date.now() - flushedAt) / 1000;
      const [{ twice }] = await db.query<Array<{ twice: number }>>(
        `SELECT count(*)::int AS twice FROM (
           SELECT payload->'data'->>'clockId' FROM outbox WHERE payload->>'type' = 'sla.breached'
           GROUP BY 1 HAVING count(*) > 1) AS repeated`,
      );
      await db.query(
        `UPDATE sla_clocks SET explanation = 'bench-overdue-done' WHERE explanation = 'bench-overdue'`,
      );
      return { seconds, fired: lateness.length - before, twice };
    }

    console.log(`Redis loses the service's keys with ${CLOCKS} clocks armed`);
    const recoveryFull = await flushRecovery();
    const [{ armed }] = await db.query<Array<{ armed: number }>>(
      `SELECT count(*)::int AS armed FROM timers WHERE queue = 'sla-timers'`,
    );
    await db.query(`DELETE FROM timers WHERE queue = 'sla-timers' AND random() < 0.9`);
    const [{ armed: armedTenth }] = await db.query<Array<{ armed: number }>>(
      `SELECT count(*)::int AS armed FROM timers WHERE queue = 'sla-timers'`,
    );
    console.log(`Redis loses the service's keys with ${armedTenth} timers armed`);
    const recoveryTenth = await flushRecovery();

    const figures = {
      armed: CLOCKS,
      ratePerS: RATE,
      firingSeconds: SECONDS,
      deadlinesFired: slice.length,
      breaches,
      warnings,
      latenessP50Ms: round1(percentile(slice, 50)),
      latenessP99Ms: round1(percentile(slice, 99)),
      latenessMaxMs: round1(slice[slice.length - 1] ?? 0),
      firedEarly: slice.filter((ms) => ms < 0).length,
      repairsDuringFiring,
      // The service's own keys: `used_memory` moves with everything else on a shared server too.
      redisBytesPerClock: round1(redisKeyBytesPerClock),
      redisUsedMemoryDeltaPerClock: round1(redisBytesPerClock),
      redisPeakBytesDuringFiring: redisPeak,
      armPerS: Math.round(CLOCKS / armSeconds),
      armFarPerS: Math.round(far / armFarSeconds),
      armedBeforeFirstTimer,
      flushRecoveryS: round1(recoveryFull.seconds),
      flushRecoveryTimersArmed: armed,
      flushRecoveryAtTenthS: round1(recoveryTenth.seconds),
      flushRecoveryAtTenthTimersArmed: armedTenth,
      flushOverdue: OVERDUE,
      flushFiredTwice: recoveryFull.twice + recoveryTenth.twice,
      ceilingPostgresCommitsPerS: inserts.transactionsPerSecond,
      ceilingRedisWritesPerS: redisWrites,
    };
    console.log(JSON.stringify(figures));
  } finally {
    await app.close();
    await forgetRedisKeys(redis, prefix);
    redis.disconnect();
    await sandbox.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
