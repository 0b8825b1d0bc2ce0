import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource, type EntityManager } from 'typeorm';
import { databaseBlock, loadConfig, redisBlock } from '@app/config';
import { typeOrmOptions } from '@app/database';
import { HealthService, MetricsService } from '@app/observability';
import { createSandbox, type TestSandbox, waitFor } from '@app/testing';
import {
  addTimerTraceparent,
  createTimerTable,
  type DueTimer,
  DurableTimers,
  type TimerOptions,
  type TimerOutcome,
  type WakeUpRound,
} from '@app/timers';

interface Reminder {
  reminderId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The timer library over real Postgres and Redis: exactly once, never early, nothing lost with Redis. */
describe('DurableTimers', () => {
  let sandbox: TestSandbox;
  let dataSource: DataSource;
  let redis: Redis;
  const running: Array<DurableTimers<Reminder>> = [];

  /** Every firing as the handler saw it, with the instant it ran. */
  interface Firing {
    reminderId: string;
    dueAt: number;
    firedAt: number;
  }

  async function startTimers(
    handler: (manager: EntityManager, due: Array<DueTimer<Reminder>>, now: Date) => Promise<TimerOutcome[]>,
    options: Partial<TimerOptions> = {},
  ) {
    const { redis: redisConfig } = loadConfig({ redis: redisBlock }, sandbox.env);
    const metrics = new MetricsService('timers-int-spec');
    const timers = new DurableTimers<Reminder>(
      { queue: `reminders-${randomUUID().slice(0, 8)}`, idOf: (data) => `reminder-${data.reminderId}` },
      { redis: redisConfig, dataSource, health: new HealthService(), metrics },
      { roundMs: 200, overdueGraceMs: 1_500, ...options },
    );
    running.push(timers);
    await timers.onModuleInit();
    const rounds = jest.spyOn(timers, 'scheduleWakeUps');
    await timers.start(handler);
    const roundsSoFar = () =>
      Promise.all(rounds.mock.results.map((result) => result.value as Promise<WakeUpRound>));
    return { timers, metrics, rounds: roundsSoFar };
  }

  function recording() {
    const firings: Firing[] = [];
    const handler = (_manager: EntityManager, due: Array<DueTimer<Reminder>>, now: Date) => {
      for (const timer of due)
        firings.push({
          reminderId: timer.data.reminderId,
          dueAt: timer.dueAt.getTime(),
          firedAt: now.getTime(),
        });
      return Promise.resolve(due.map((): TimerOutcome => 'fired'));
    };
    return { firings, handler };
  }

  const reminders = (count: number, at: (index: number) => Date) =>
    Array.from({ length: count }, (_, index) => ({ data: { reminderId: randomUUID() }, at: at(index) }));

  const armAll = (timers: DurableTimers<Reminder>, armed: ReturnType<typeof reminders>) =>
    dataSource.transaction((manager) => timers.arm(manager, armed));

  async function wakeUpKeys(timers: DurableTimers<Reminder>): Promise<number> {
    return (
      (await redis.zcard(timers.wakeUps.queue.keys.delayed)) +
      (await redis.llen(timers.wakeUps.queue.keys.wait))
    );
  }

  async function metricValue(metrics: MetricsService, name: string, labels: Record<string, string>) {
    const metric = await metrics.registry.getSingleMetric(name)?.get();
    return (
      metric?.values
        .filter((value) => Object.entries(labels).every(([key, expected]) => value.labels[key] === expected))
        .reduce((sum, value) => sum + value.value, 0) ?? 0
    );
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
    const { database } = loadConfig({ database: databaseBlock('sla') }, sandbox.env);
    dataSource = new DataSource(
      typeOrmOptions({ database, applicationName: 'timers-int-spec', entities: [], migrations: [] }),
    );
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${database.schema}"`);
    const runner = dataSource.createQueryRunner();
    await createTimerTable(runner);
    await addTimerTraceparent(runner);
    await runner.release();
    redis = new Redis(sandbox.env.REDIS_URL);
  });

  afterEach(async () => {
    for (const timers of running.splice(0)) await timers.onModuleDestroy();
  });

  afterAll(async () => {
    redis?.disconnect();
    await dataSource?.destroy();
    await sandbox?.dispose();
  });

  it('fires every armed timer exactly once, never before its due time, and a disarmed one never', async () => {
    const { firings, handler } = recording();
    const { timers } = await startTimers(handler);
    const start = Date.now();
    const armed = reminders(300, (index) => new Date(start + 1_000 + (index % 30) * 37));
    const disarmed = armed.slice(0, 20).map((timer) => timer.data);
    await dataSource.transaction(async (manager) => {
      await timers.arm(manager, armed);
      // Arming the same timers again, as a redelivered event would, changes nothing.
      await timers.arm(manager, armed.slice(20, 40));
    });
    await dataSource.transaction((manager) => timers.disarm(manager, disarmed));

    await waitFor(() => firings.length >= 280, { description: '280 timers fired', timeoutMs: 20_000 });
    await sleep(1_000);
    expect(firings).toHaveLength(280);
    expect(new Set(firings.map((firing) => firing.reminderId)).size).toBe(280);
    const disarmedIds = new Set<string>(disarmed.map((data) => data.reminderId));
    expect(firings.some((firing) => disarmedIds.has(firing.reminderId))).toBe(false);
    for (const firing of firings) expect(firing.firedAt).toBeGreaterThanOrEqual(firing.dueAt);
    const [{ left }] = await dataSource.query<Array<{ left: number }>>(
      'SELECT count(*)::int AS left FROM timers WHERE queue = $1',
      [timers.wakeUps.queue.name],
    );
    expect(left).toBe(0);
  });

  it('keeps far deadlines out of Redis until they enter the horizon', async () => {
    const { firings, handler } = recording();
    const { timers } = await startTimers(handler, { horizonMs: 1_000 });
    const start = Date.now();
    await armAll(
      timers,
      reminders(1_000, () => new Date(start + 3_600_000)),
    );
    const near = reminders(5, () => new Date(start + 2_500));
    await armAll(timers, near);
    // Neither the hour-away timers nor the near ones, still beyond the horizon, have wake-ups yet.
    expect(await wakeUpKeys(timers)).toBe(0);
    await waitFor(() => firings.length === 5, { description: 'the near timers', timeoutMs: 10_000 });
    expect(firings.every((firing) => firing.firedAt >= firing.dueAt)).toBe(true);
    expect(await wakeUpKeys(timers)).toBe(0);
  });

  it('fires each overdue timer once after Redis lost everything, and reports it', async () => {
    const { firings, handler } = recording();
    const { timers, metrics, rounds } = await startTimers(handler);
    const start = Date.now();
    await armAll(
      timers,
      reminders(500, (index) => new Date(start + 1_500 + index)),
    );
    await armAll(
      timers,
      reminders(500, () => new Date(start + 3_600_000)),
    );
    // As FLUSHALL would, for this sandbox only: other test files share the server.
    const keys = await redis.keys(`${sandbox.env.REDIS_KEY_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);

    await waitFor(() => firings.length === 500, { description: 'every due timer', timeoutMs: 20_000 });
    await sleep(1_000);
    expect(firings).toHaveLength(500);
    expect(new Set(firings.map((firing) => firing.reminderId)).size).toBe(500);
    const refills = (await rounds()).filter((round) => round.kind === 'refill');
    // The first round at start-up, then the one that found the marker gone.
    expect(refills.length).toBe(2);
    expect(await metricValue(metrics, 'timer_repairs_total', { reason: 'redis_lost' })).toBe(1);
  });

  it('wakes a timer whose own wake-up was lost, once the grace period has passed', async () => {
    const { firings, handler } = recording();
    const { timers, metrics } = await startTimers(handler);
    const start = Date.now();
    const [lost] = reminders(1, () => new Date(start + 1_000));
    await armAll(timers, [lost]);
    await timers.wakeUps.queue.obliterate({ force: true });

    await waitFor(() => firings.length === 1, { description: 'the lost timer', timeoutMs: 10_000 });
    expect(firings[0].firedAt - firings[0].dueAt).toBeGreaterThanOrEqual(1_500);
    expect(await metricValue(metrics, 'timer_repairs_total', { reason: 'overdue' })).toBeGreaterThan(0);
  });

  it('fires the rest of a batch when one timer fails, retries that one, and keeps it once it fails for good', async () => {
    const fired: string[] = [];
    let poisonAttempts = 0;
    const start = Date.now();
    const armed = reminders(10, () => new Date(start + 800));
    const poison = armed[3].data.reminderId;
    const { timers, metrics } = await startTimers(
      (_manager, due) => {
        if (due.some((timer) => timer.data.reminderId === poison)) {
          poisonAttempts += 1;
          return Promise.reject(new Error('the template is broken'));
        }
        fired.push(...due.map((timer) => timer.data.reminderId));
        return Promise.resolve(due.map((): TimerOutcome => 'fired'));
      },
      { maxAttempts: 3, retryBaseMs: 200 },
    );
    await armAll(timers, armed);

    await waitFor(() => fired.length === 9, { description: 'the nine good timers', timeoutMs: 10_000 });
    await waitFor(async () => (await metricValue(metrics, 'timer_failures_total', { final: 'true' })) === 1, {
      description: 'the poison timer failed for good',
      timeoutMs: 15_000,
    });
    expect(fired).not.toContain(poison);
    // The metric counts inside the firing transaction: the row shows it once that commits.
    const row = await waitFor(
      async () => {
        const [current] = await dataSource.query<
          Array<{ attempts: number; last_error: string; failed: boolean }>
        >('SELECT attempts, last_error, failed_at IS NOT NULL AS failed FROM timers WHERE queue = $1', [
          timers.wakeUps.queue.name,
        ]);
        return current?.failed && current;
      },
      { description: 'the poison timer kept, failed' },
    );
    expect(row).toEqual({ attempts: 3, last_error: 'the template is broken', failed: true });
    const triesSoFar = poisonAttempts;
    await sleep(1_500);
    expect(poisonAttempts).toBe(triesSoFar);
  });

  it('fires a timer whose transaction lost a deadlock again at once, without counting an attempt', async () => {
    const fired: string[] = [];
    let conflicts = 0;
    const start = Date.now();
    const armed = reminders(3, () => new Date(start + 500));
    const victim = armed[1].data.reminderId;
    const { timers, metrics } = await startTimers(
      (_manager, due) => {
        if (conflicts < 2 && due.some((timer) => timer.data.reminderId === victim)) {
          conflicts += 1;
          // What node-postgres throws when Postgres breaks a lock cycle by aborting this transaction.
          return Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
        }
        fired.push(...due.map((timer) => timer.data.reminderId));
        return Promise.resolve(due.map((): TimerOutcome => 'fired'));
      },
      // A failure would wait a minute: only the conflict path can fire it within the test.
      { retryBaseMs: 60_000 },
    );
    await armAll(timers, armed);

    await waitFor(() => fired.includes(victim), { description: 'the deadlocked timer', timeoutMs: 10_000 });
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(fired.filter((id) => id === victim)).toHaveLength(1);
    expect(await metricValue(metrics, 'timer_failures_total', {})).toBe(0);
    const rows = await dataSource.query<unknown[]>('SELECT 1 FROM timers WHERE queue = $1', [
      timers.wakeUps.queue.name,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('waits for a timer the handler finds not yet due, and fires it then', async () => {
    const firings: number[] = [];
    const start = Date.now();
    const notBefore = new Date(start + 2_000);
    const { timers } = await startTimers((_manager, due, now) => {
      if (now < notBefore) return Promise.resolve(due.map((): TimerOutcome => ({ notBefore })));
      firings.push(now.getTime());
      return Promise.resolve(due.map((): TimerOutcome => 'fired'));
    });
    await armAll(
      timers,
      reminders(1, () => new Date(start + 500)),
    );
    await waitFor(() => firings.length === 1, { description: 'the postponed timer', timeoutMs: 10_000 });
    expect(firings[0]).toBeGreaterThanOrEqual(notBefore.getTime());
  });

  it('repairs nothing through a busy stretch in which nothing was lost', async () => {
    const { firings, handler } = recording();
    const { timers, metrics, rounds } = await startTimers(handler, { horizonMs: 2_000 });
    const start = Date.now();
    // 2,000 deadlines over eight seconds, armed as they would be: some long ahead, some just due.
    for (let second = 0; second < 8; second += 1) {
      await armAll(
        timers,
        reminders(250, (index) => new Date(start + 500 + second * 1_000 + index * 4)),
      );
    }
    await waitFor(() => firings.length === 2_000, { description: '2,000 timers', timeoutMs: 30_000 });
    await sleep(1_000);
    expect(firings).toHaveLength(2_000);
    const seen = await rounds();
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((round) => round.kind === 'refill')).toHaveLength(1);
    expect(seen.every((round) => round.overdue === 0)).toBe(true);
    expect(await metricValue(metrics, 'timer_repairs_total', {})).toBe(0);
  });
});
