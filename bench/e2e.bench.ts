/**
 * The whole workflow end to end, on the real Postgres, Redis and Kafka `deploy/local/infra.sh`
 * runs: the four services as separate OS processes from `dist/`, inbound CloudEvents
 * `ticket.requested` on tickets.inbound.v1, and an SMTP sink counting the acknowledgments. Each
 * ticket is timed from its publish to every stage: stored (ticket.created), assigned
 * (ticket.assigned), SLA armed (sla.started), acknowledgment claimed (its ledger row), sent (accepted
 * by the sink) and recorded (notification.sent). First a burst, then fixed offered rates.
 *
 *   npm run bench:e2e            # builds, then runs; every variable below has a default
 *
 *   BENCH_BURST=10000            tickets published at once
 *   BENCH_RATES=200,1000,2000    offered rates per second, one step each, in this order
 *   BENCH_SECONDS=60             length of each rate step
 *   BENCH_AGENTS=50              online agents, capacity enough for every ticket of the run
 *   BENCH_WARMUP=100             tickets sent and drained first, not reported
 *   BENCH_FIRST_RESPONSE=PT1H    the SLA policy's first-response target, promised in each acknowledgment
 *   BENCH_MAX_LAG_SECONDS=10     a step stops early once its backlog exceeds this many seconds of load…
 *   BENCH_MAX_BACKLOG=5000       …or this many tickets, so draining it stays bounded
 *   BENCH_DRAIN_SECONDS=600      longest wait for quiet after a phase
 *   BENCH_STALL_SECONDS=60       the wait for quiet gives up after this long without progress
 *   BENCH_IDLE_SECONDS=5         idle baseline: what the services cost with no traffic
 *   BENCH_MAX_MINUTES=40         phases not started by then are skipped (PT1H targets warn at 45 min)
 *   BENCH_CEILING_SECONDS=5      length of the Kafka producer ceiling
 *   BENCH_PGBENCH_SECONDS=10     length of the Postgres INSERT ceiling (pgbench -c 4 -j 2)
 *   BENCH_LOG_LEVEL=warn         the services' LOG_LEVEL
 *   BENCH_CPU_PROFILE_DIR        unset; a folder where each service writes a V8 CPU profile on exit
 *
 * It prints the figures for people, then one JSON line last. It reports, never asserts: the
 * machine is shared, and Postgres, Redis and Kafka serve whatever else runs on it too.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { signedRecordHeaders, Topic } from '@app/contracts';
import {
  bearer,
  createSandbox,
  provideInfrastructure,
  TEST_PUBLISHERS,
  type TestSandbox,
} from '@app/testing';
import {
  consumerCeiling,
  type InsertCeiling,
  insertCeiling,
  producerCeiling,
  type Rate,
} from './e2e/ceilings';
import { round1, round2, type StageFigures, stageFigures, table } from './e2e/figures';
import { PROCESS_NAMES, type ProcessName, ResourceMeter, type Snapshot } from './e2e/resource-meter';
import { SERVICE_NAMES, type ServiceName, ServiceProcess } from '../test/e2e/support/service-process';
import { SmtpCounter } from './e2e/smtp-counter';
import { AGENT_DOMAIN, LIVE_STAGES, type PhaseRange, type Stage, STAGES, StageBook } from './e2e/stage-book';
import { StageObserver } from './e2e/stage-observer';

const int = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return Math.floor(value);
};

const BURST = int('BENCH_BURST', 10_000);
const RATES = (process.env.BENCH_RATES ?? '200,1000,2000')
  .split(',')
  .map((rate) => rate.trim())
  .filter(Boolean)
  .map(Number);
const SECONDS = int('BENCH_SECONDS', 60);
const AGENTS = Math.max(1, int('BENCH_AGENTS', 50));
const WARMUP = int('BENCH_WARMUP', 100);
const FIRST_RESPONSE = process.env.BENCH_FIRST_RESPONSE ?? 'PT1H';
const MAX_LAG_SECONDS = int('BENCH_MAX_LAG_SECONDS', 10);
const MAX_BACKLOG = int('BENCH_MAX_BACKLOG', 5_000);
const DRAIN_SECONDS = int('BENCH_DRAIN_SECONDS', 600);
const STALL_SECONDS = int('BENCH_STALL_SECONDS', 60);
const IDLE_SECONDS = int('BENCH_IDLE_SECONDS', 5);
const MAX_MINUTES = int('BENCH_MAX_MINUTES', 40);
const CEILING_SECONDS = int('BENCH_CEILING_SECONDS', 5);
const PGBENCH_SECONDS = int('BENCH_PGBENCH_SECONDS', 10);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const PROFILE_ARGS = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];

/** Agents take at most 1,000 open tickets through the API; beyond that the run raises it in routing's table. */
const API_MAX_CAPACITY = 1_000;
const BURST_CHUNK = 1_000;
const TICK_MS = 10;

if (RATES.some((rate) => !Number.isFinite(rate) || rate <= 0)) {
  throw new Error('BENCH_RATES must be a comma-separated list of positive rates, such as 200,1000');
}

interface Phase {
  index: number;
  name: string;
  kind: 'warmup' | 'burst' | 'rate';
  rate: number | null;
  range: PhaseRange;
  planned: number;
  sendSeconds: number;
  stoppedEarly: string | null;
  drained: boolean;
  drainSeconds: number;
  /** Tickets published but not yet through every live stage, once a second while sending. */
  backlog: number[];
  before?: Snapshot;
  after?: Snapshot;
}

class ServiceDied extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePortBlock(from: number, size: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let base = from; base < from + 2_000; base += size) {
    let all = true;
    for (let i = 0; i < size && all; i++) all = await free(base + i);
    if (all) return base;
  }
  throw new Error(`no ${size} free ports from ${from}`);
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const deadline = startedAt + MAX_MINUTES * 60_000;
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true));
  Object.assign(process.env, (await provideInfrastructure()).urls);

  const planned = WARMUP + BURST + RATES.reduce((sum, rate) => sum + Math.ceil(rate * SECONDS), 0);
  const tag = randomBytes(4).toString('hex');
  const book = new StageBook(planned, tag);
  const basePort = await freePortBlock(23_000 + (process.pid % 100) * 10, 4);
  const smtp = new SmtpCounter((message) => book.onMail(message));
  const smtpPort = await smtp.start();
  const sandbox: TestSandbox = await createSandbox({
    LOG_LEVEL,
    HOST: '127.0.0.1',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  });
  // The services' own defaults rather than the faster polling tests use: measured as deployed.
  delete sandbox.env.OUTBOX_POLL_INTERVAL_MS;
  delete sandbox.env.KAFKA_HANDLER_RETRY_MS;
  const prefix = sandbox.env.KAFKA_TOPIC_PREFIX ?? '';
  const physical = (topic: string) => `${prefix}${topic}`;
  const inbound = physical(Topic.TicketsInbound);
  const services = Object.fromEntries(
    SERVICE_NAMES.map((name, i) => [name, new ServiceProcess(name, basePort + i, sandbox.env, PROFILE_ARGS)]),
  ) as Record<ServiceName, ServiceProcess>;
  const kafka = new Kafka({
    clientId: 'bench-e2e',
    brokers: (sandbox.env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const db = new Client({ connectionString: sandbox.databaseUrl });
  const redis = new Redis(sandbox.env.REDIS_URL ?? '', { lazyConnect: true });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const observer = new StageObserver(kafka, book, physical);
  const groups = SERVICE_NAMES.map((name) => `${prefix}ticketflow-${name}`);
  const meter = new ResourceMeter(db, sandbox.id, redis, admin, prefix, inbound, groups);
  const phases: Phase[] = [];
  let servicesStopped = false;
  const exitCodes: Partial<Record<ServiceName, number | null>> = {};

  const assertAlive = () => {
    if (interrupted) throw new Error('interrupted');
    for (const service of Object.values(services)) {
      if (service.died) {
        throw new ServiceDied(
          `${service.name} died during the run; its last output:\n${service.logs().slice(-4_000)}`,
        );
      }
    }
  };

  async function api(service: ServiceName, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${services[service].url}${path}`, {
      method,
      headers: { authorization: bearer('admin'), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${service} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  function message(n: number): { key: string; value: string; headers: Record<string, string> } {
    const id = book.externalId(n);
    const event = {
      specversion: '1.0',
      id,
      source: 'bench/e2e',
      type: 'ticket.requested',
      datacontenttype: 'application/json',
      time: new Date().toISOString(),
      data: {
        channel: 'email',
        customer: { email: book.customerEmail(n), name: `Customer ${n}`, locale: 'en' },
        subject: `Order ${n} has not arrived`,
        body: 'I ordered a kettle two weeks ago and it has still not arrived. Could you tell me where it is?',
        priority: 'normal',
        externalId: id,
      },
    };
    const value = JSON.stringify(event);
    return { key: id, value, headers: signedRecordHeaders(value, TEST_PUBLISHERS.gateway) };
  }

  async function publish(first: number, count: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, i) => message(first + i));
    book.markPublished(first, count, Date.now());
    await producer.send({ topic: inbound, acks: -1, messages });
  }

  /** Tickets of the phase not yet through every live stage. */
  const backlogOf = (phase: Phase, sent: number) =>
    sent - Math.min(...LIVE_STAGES.map((stage) => book.doneIn(phase.index, stage)));

  /**
   * Quiet: every ticket so far through every live stage, every assignment notice sent to its agent
   * (after the coalescing window), and the services' consumer groups caught up.
   */
  async function waitForQuiet(phase: Phase | null): Promise<{ drained: boolean; seconds: number }> {
    const started = Date.now();
    let lastProgressAt = started;
    let lastSignature = '';
    let quietSince: number | undefined;
    for (;;) {
      assertAlive();
      const published = phases.reduce((sum, p) => sum + p.range.count, 0);
      const stagesDone = LIVE_STAGES.every((stage) => book.doneTotal(stage) >= published);
      const staffDone = book.staffEmails >= book.doneTotal('assigned');
      const { lag } = await meter.kafkaProgress();
      const now = Date.now();
      if (stagesDone && staffDone && lag === 0) {
        quietSince ??= now;
        if (now - quietSince >= 1_000) return { drained: true, seconds: (quietSince - started) / 1000 };
      } else {
        quietSince = undefined;
      }
      const signature = [...LIVE_STAGES.map((stage) => book.doneTotal(stage)), book.staffEmails, lag].join();
      if (signature !== lastSignature) {
        lastSignature = signature;
        lastProgressAt = now;
      }
      const why =
        now - lastProgressAt > STALL_SECONDS * 1000
          ? `no progress for ${STALL_SECONDS} s`
          : now - started > DRAIN_SECONDS * 1000
            ? `not quiet after ${DRAIN_SECONDS} s`
            : now > deadline
              ? `BENCH_MAX_MINUTES=${MAX_MINUTES} reached`
              : undefined;
      if (why) {
        const missing = LIVE_STAGES.map((stage) => `${stage} ${published - book.doneTotal(stage)}`).join(
          ', ',
        );
        console.log(
          `  ${phase?.name ?? 'setup'}: gave up waiting for quiet (${why}); missing: ${missing}, ` +
            `staff emails ${book.staffEmails}/${book.doneTotal('assigned')}, consumer lag ${lag}`,
        );
        return { drained: false, seconds: (now - started) / 1000 };
      }
      await sleep(500);
    }
  }

  function openPhase(kind: Phase['kind'], name: string, count: number, rate: number | null): Phase {
    const first = phases.reduce((sum, p) => sum + p.range.count, 0);
    const phase: Phase = {
      index: phases.length,
      name,
      kind,
      rate,
      range: { first, count: 0 },
      planned: count,
      sendSeconds: 0,
      stoppedEarly: null,
      drained: false,
      drainSeconds: 0,
      backlog: [],
    };
    book.openPhase(phase.index, { first, count });
    phases.push(phase);
    return phase;
  }

  async function runBurst(kind: 'warmup' | 'burst', name: string, count: number): Promise<Phase> {
    const phase = openPhase(kind, name, count, null);
    phase.before = await meter.snapshot();
    const started = performance.now();
    for (let sent = 0; sent < count; sent += BURST_CHUNK) {
      const size = Math.min(BURST_CHUNK, count - sent);
      await publish(phase.range.first + sent, size);
      phase.range.count = sent + size;
    }
    phase.sendSeconds = (performance.now() - started) / 1000;
    const quiet = await waitForQuiet(phase);
    phase.drained = quiet.drained;
    phase.drainSeconds = quiet.seconds;
    await sleep(1_500);
    phase.after = await meter.snapshot();
    return phase;
  }

  async function runRate(rate: number): Promise<Phase> {
    const total = Math.ceil(rate * SECONDS);
    const phase = openPhase('rate', `${rate}/s for ${SECONDS} s`, total, rate);
    phase.before = await meter.snapshot();
    const started = performance.now();
    let sent = 0;
    let nextCheck = started + 1_000;
    while (sent < total) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((rate * (now - started)) / 1000)) - sent;
      if (due > 0) {
        await publish(phase.range.first + sent, due);
        sent += due;
        phase.range.count = sent;
      }
      if (now >= nextCheck) {
        nextCheck += 1_000;
        assertAlive();
        const backlog = backlogOf(phase, sent);
        phase.backlog.push(backlog);
        if (now - started > 2_000 && (backlog > rate * MAX_LAG_SECONDS || backlog > MAX_BACKLOG)) {
          phase.stoppedEarly = `backlog of ${backlog} tickets after ${Math.round((now - started) / 1000)} s`;
          break;
        }
        if (Date.now() > deadline) {
          phase.stoppedEarly = `BENCH_MAX_MINUTES=${MAX_MINUTES} reached`;
          break;
        }
      }
      await sleep(TICK_MS);
    }
    phase.sendSeconds = (performance.now() - started) / 1000;
    phase.backlog.push(backlogOf(phase, sent));
    const quiet = await waitForQuiet(phase);
    phase.drained = quiet.drained;
    phase.drainSeconds = quiet.seconds;
    await sleep(1_500);
    phase.after = await meter.snapshot();
    return phase;
  }

  async function stopServices(): Promise<void> {
    if (servicesStopped) return;
    servicesStopped = true;
    // Notifications first and intake last: each drains what it holds while its upstream is still up.
    for (const name of [...SERVICE_NAMES].reverse())
      exitCodes[name] = await services[name].stop('SIGTERM', 30_000);
  }

  try {
    await Promise.all([db.connect(), redis.connect(), admin.connect()]);
    console.log(
      `Starting the four services from dist/ on ports ${basePort}-${basePort + 3} (run ${tag}, sandbox ${sandbox.id})`,
    );
    // One at a time: the first to start creates the shared topics and its schema.
    for (const name of SERVICE_NAMES) await services[name].start();
    const pids = Object.fromEntries(SERVICE_NAMES.map((name) => [name, services[name].pid])) as Record<
      ServiceName,
      number
    >;
    const kafkaPort = Number((sandbox.env.KAFKA_BROKERS ?? '').split(',')[0]?.split(':')[1]);
    const unreadable = await meter.locate(pids, kafkaPort);
    if (unreadable.length > 0)
      console.log(`  CPU of ${unreadable.join(', ')} cannot be read; reported as null`);
    await meter.learnSubscriptions();
    await producer.connect();
    await observer.start();

    // Seed through the admin APIs, as an admin would.
    const perAgent = Math.ceil(planned / AGENTS) + 10;
    for (let i = 0; i < AGENTS; i++) {
      await api('routing', 'POST', '/v1/agents', {
        name: `Agent ${i}`,
        email: `agent${i}.${tag}@${AGENT_DOMAIN}`,
        skills: ['lang:en'],
        capacity: Math.min(API_MAX_CAPACITY, perAgent),
        status: 'online',
      });
    }
    if (perAgent > API_MAX_CAPACITY) {
      // Nobody solves tickets during the run, so capacity must cover all of them or routing queues.
      await db.query('UPDATE routing.agents SET capacity = $1', [perAgent]);
      console.log(
        `  ${planned} tickets for ${AGENTS} agents: capacity raised to ${perAgent} in routing.agents`,
      );
    }
    await api('sla', 'POST', '/v1/sla-policies', {
      name: 'Bench: first response',
      match: {},
      targets: { firstResponse: FIRST_RESPONSE },
    });

    if (WARMUP > 0) {
      const warmup = await runBurst('warmup', `warm-up ${WARMUP}`, WARMUP);
      console.log(`Warm-up: ${WARMUP} tickets, quiet after ${round1(warmup.drainSeconds)} s`);
    } else {
      await waitForQuiet(null);
    }

    const idleBefore = await meter.snapshot();
    await sleep(IDLE_SECONDS * 1000);
    const idleAfter = await meter.snapshot();

    let quiet = true;
    if (BURST > 0) {
      console.log(`Burst: ${BURST} tickets`);
      quiet = (await runBurst('burst', `burst ${BURST}`, BURST)).drained;
    }
    for (const rate of quiet ? RATES : []) {
      if (Date.now() > deadline) {
        console.log(`Skipping ${rate}/s: BENCH_MAX_MINUTES=${MAX_MINUTES} reached`);
        continue;
      }
      console.log(`Rate: ${rate}/s for ${SECONDS} s`);
      quiet = (await runRate(rate)).drained;
      if (!quiet) break;
    }
    if (!quiet)
      console.log('  the system never became quiet again: later steps would measure its backlog; skipped');

    // The claim instant of each acknowledgment, from the ledger itself.
    const claims = await db.query<{ ticket_id: string; at: number; state: string }>(
      `SELECT ticket_id::text AS ticket_id, (EXTRACT(EPOCH FROM created_at) * 1000)::float8 AS at, state
       FROM notifications.deliveries WHERE reason = 'ticket.acknowledgment' AND recipient = 'customer'`,
    );
    const ackStates = new Map<string, number>();
    for (const row of claims.rows) {
      book.reached(row.ticket_id, 'ackClaimed', Number(row.at));
      ackStates.set(row.state, (ackStates.get(row.state) ?? 0) + 1);
    }

    await observer.stop();
    await stopServices();
    const badExits = Object.entries(exitCodes).filter(([, code]) => code !== 0);

    console.log('Raw ceilings (services stopped)');
    const ceilingTopic = physical('bench.ceiling.v1');
    const producerRate: Rate = await producerCeiling(kafka, ceilingTopic, {
      seconds: CEILING_SECONDS,
      maxMessages: 200_000,
    });
    const consumerRate: Rate = await consumerCeiling(kafka, ceilingTopic, {
      expected: producerRate.messages,
      commitEach: false,
      timeoutMs: 120_000,
    });
    const commitEachRate: Rate = await consumerCeiling(kafka, ceilingTopic, {
      expected: Math.min(producerRate.messages, 20_000),
      commitEach: true,
      timeoutMs: 60_000,
    });
    const inserts: InsertCeiling = await insertCeiling(sandbox.databaseUrl, {
      seconds: PGBENCH_SECONDS,
      clients: 4,
    });

    report({
      phases,
      book,
      idle: [idleBefore, idleAfter],
      ceilings: { producerRate, consumerRate, commitEachRate, inserts },
      ackStates,
      badExits,
      tag,
      sandboxId: sandbox.id,
    });
    return 0;
  } catch (error) {
    if (error instanceof ServiceDied) {
      console.error(`bench:e2e failed: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    await observer.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await stopServices().catch(() => undefined);
    await smtp.stop().catch(() => undefined);
    await cleanUp(admin, redis, sandbox, prefix).catch((error: unknown) =>
      console.error(`clean-up: ${String(error)}`),
    );
    await admin.disconnect().catch(() => undefined);
    redis.disconnect();
    await db.end().catch(() => undefined);
    await sandbox
      .dispose()
      .catch((error: unknown) => console.error(`dropping the database: ${String(error)}`));
  }
}

/** The run's topics and Redis keys; the sandbox drops the database itself. */
async function cleanUp(admin: Admin, redis: Redis, sandbox: TestSandbox, prefix: string): Promise<void> {
  if (prefix) {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  }
  const keyPrefix = sandbox.env.REDIS_KEY_PREFIX;
  if (!keyPrefix || redis.status !== 'ready') return;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 10_000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

interface ResourceFigures {
  wallSeconds: number;
  cpuMsPerTicket: Record<ProcessName | 'total', number | null>;
  benchCpuMsPerTicket: number;
  /** Machine CPU not used by any process above nor the benchmark: others' work on the shared cores. */
  otherCpuMsPerTicket: number;
  machineBusyPercent: number;
  commitsPerTicket: number;
  commitsPerTicketAllDatabases: number;
  redisCommandsPerTicket: number;
  kafkaConsumedPerTicket: number;
  kafkaProducedPerTicket: number;
  commitsPerSecond: number;
  kafkaConsumedPerSecond: number;
  kafkaProducedPerSecond: number;
  topRedisCommands: Record<string, number>;
  /** Non-zero: someone else used the shared Redis or Postgres, and the server-wide figures include them. */
  foreignRedisClients: number;
  foreignPostgresBackends: number;
}

function redisCallsBetween(before: Snapshot, after: Snapshot): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, calls] of after.redisCalls) {
    const diff = calls - (before.redisCalls.get(name) ?? 0);
    // INFO itself, which the meter sends, is not the services' work.
    if (diff > 0 && name !== 'info') delta.set(name, diff);
  }
  return delta;
}

function resources(before: Snapshot, after: Snapshot, tickets: number): ResourceFigures {
  const per = (n: number) => round2(n / Math.max(1, tickets)) ?? 0;
  const wallSeconds = Math.max(0.001, (after.at - before.at) / 1000);
  const cpu = {} as Record<ProcessName | 'total', number | null>;
  let total = 0;
  for (const name of PROCESS_NAMES) {
    const a = after.cpuMs[name];
    const b = before.cpuMs[name];
    const delta = a === null || b === null ? null : a - b;
    cpu[name] = delta === null ? null : per(delta);
    total += delta ?? 0;
  }
  cpu.total = per(total);
  const bench = after.benchCpuMs - before.benchCpuMs;
  const machineBusy = after.machine.busyMs - before.machine.busyMs;
  const machineTotal = Math.max(1, after.machine.totalMs - before.machine.totalMs);
  const calls = redisCallsBetween(before, after);
  const redisTotal = [...calls.values()].reduce((sum, n) => sum + n, 0);
  const consumed = after.consumed - before.consumed;
  const produced = after.produced - before.produced;
  const commits = after.commits - before.commits;
  return {
    wallSeconds: round2(wallSeconds) ?? 0,
    cpuMsPerTicket: cpu,
    benchCpuMsPerTicket: per(bench),
    otherCpuMsPerTicket: per(Math.max(0, machineBusy - total - bench)),
    machineBusyPercent: Math.round((machineBusy / machineTotal) * 100),
    commitsPerTicket: per(commits),
    commitsPerTicketAllDatabases: per(after.commitsAllDatabases - before.commitsAllDatabases),
    redisCommandsPerTicket: per(redisTotal),
    kafkaConsumedPerTicket: per(consumed),
    kafkaProducedPerTicket: per(produced),
    commitsPerSecond: Math.round(commits / wallSeconds),
    kafkaConsumedPerSecond: Math.round(consumed / wallSeconds),
    kafkaProducedPerSecond: Math.round(produced / wallSeconds),
    topRedisCommands: Object.fromEntries(
      [...calls]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, n]) => [name, per(n)]),
    ),
    foreignRedisClients: Math.max(before.foreignRedisClients, after.foreignRedisClients),
    foreignPostgresBackends: Math.max(before.foreignPostgresBackends, after.foreignPostgresBackends),
  };
}

interface ReportInput {
  phases: Phase[];
  book: StageBook;
  idle: [Snapshot, Snapshot];
  ceilings: { producerRate: Rate; consumerRate: Rate; commitEachRate: Rate; inserts: InsertCeiling };
  ackStates: Map<string, number>;
  badExits: Array<[string, number | null | undefined]>;
  tag: string;
  sandboxId: string;
}

function report({ phases, book, idle, ceilings, ackStates, badExits, tag, sandboxId }: ReportInput): void {
  const measured = phases.filter((phase) => phase.kind !== 'warmup' && phase.before && phase.after);
  const results = measured.map((phase) => {
    const stages = Object.fromEntries(
      STAGES.map((stage) => [stage, stageFigures(book, phase.range, stage)]),
    ) as Record<Stage, StageFigures>;
    const sent = phase.range.count;
    const early = phase.backlog[Math.floor(phase.backlog.length / 4)] ?? 0;
    const end = phase.backlog[phase.backlog.length - 1] ?? 0;
    const backlogGrew =
      phase.kind === 'rate' ? phase.stoppedEarly !== null || end > early * 1.5 + (phase.rate ?? 0) * 1 : null;
    return {
      name: phase.name,
      kind: phase.kind,
      rate: phase.rate,
      tickets: sent,
      planned: phase.planned,
      sendSeconds: round2(phase.sendSeconds),
      offeredPerSecond: round1(sent / Math.max(0.001, phase.sendSeconds)),
      stoppedEarly: phase.stoppedEarly,
      backlogGrew,
      backlogAtSendEnd: phase.kind === 'rate' ? end : null,
      drained: phase.drained,
      drainSeconds: round1(phase.drainSeconds),
      stages,
      resources: resources(phase.before as Snapshot, phase.after as Snapshot, sent),
    };
  });

  const idleSeconds = Math.max(0.001, (idle[1].at - idle[0].at) / 1000);
  const idleFigures = resources(idle[0], idle[1], idleSeconds);

  console.log('');
  console.log(
    `Idle, per second: CPU ms ${idleFigures.cpuMsPerTicket.total} (` +
      PROCESS_NAMES.map((name) => `${name} ${idleFigures.cpuMsPerTicket[name] ?? '-'}`).join(', ') +
      `), commits ${idleFigures.commitsPerTicket}, Redis commands ${idleFigures.redisCommandsPerTicket}`,
  );
  for (const result of results) {
    console.log('');
    const status = [
      `${result.tickets} tickets sent in ${result.sendSeconds} s (${result.offeredPerSecond}/s offered)`,
      result.stoppedEarly ? `stopped early: ${result.stoppedEarly}` : null,
      result.backlogGrew === null ? null : result.backlogGrew ? 'backlog grew' : 'backlog steady',
      result.drained ? `quiet ${result.drainSeconds} s after sending` : 'never quiet',
    ]
      .filter(Boolean)
      .join('; ');
    console.log(`== ${result.name}: ${status}`);
    console.log(
      table(
        ['stage', 'done', 'all done s', 'per s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        STAGES.map((stage) => {
          const s = result.stages[stage];
          return [stage, s.done, s.allDoneSeconds, s.perSecond, s.p50Ms, s.p95Ms, s.p99Ms, s.maxMs];
        }),
      ),
    );
    const r = result.resources;
    console.log(
      `   CPU ms per ticket: total ${r.cpuMsPerTicket.total} = ` +
        PROCESS_NAMES.map((name) => `${name} ${r.cpuMsPerTicket[name] ?? '-'}`).join(', ') +
        `; benchmark ${r.benchCpuMsPerTicket}, others on the machine ${r.otherCpuMsPerTicket}` +
        ` (machine ${r.machineBusyPercent}% busy over ${r.wallSeconds} s)`,
    );
    console.log(
      `   per ticket: ${r.commitsPerTicket} Postgres commits (${r.commitsPerTicketAllDatabases} in all databases), ` +
        `${r.redisCommandsPerTicket} Redis commands (${Object.entries(r.topRedisCommands)
          .map(([name, n]) => `${name} ${n}`)
          .join(', ')}), Kafka ${r.kafkaProducedPerTicket} produced / ${r.kafkaConsumedPerTicket} consumed`,
    );
    if (r.foreignRedisClients > 0 || r.foreignPostgresBackends > 0) {
      console.log(
        `   shared: ${r.foreignRedisClients} other Redis clients and ${r.foreignPostgresBackends} backends of other ` +
          'databases were connected; Postgres, Redis and Kafka CPU and Redis commands include their work',
      );
    }
  }

  const burst = results.find((result) => result.kind === 'burst');
  const rates = results.filter((result) => result.kind === 'rate');
  const at200 = rates.find((result) => result.rate === 200);
  const best = (stage: Stage) =>
    rates.reduce<number | null>((max, result) => {
      const perSecond = result.stages[stage].perSecond;
      return perSecond !== null && (max === null || perSecond > max) ? perSecond : max;
    }, null);
  const load = measured.filter((phase) => phase.before && phase.after);
  const loadTickets = load.reduce((sum, phase) => sum + phase.range.count, 0);
  // Over every measured phase together: each phase's deltas summed, over all their tickets.
  const overall = (() => {
    if (load.length === 0) return null;
    const sum = (pick: (s: Snapshot) => number) =>
      load.reduce((total, p) => total + pick(p.after as Snapshot) - pick(p.before as Snapshot), 0);
    const cpuMs = Object.fromEntries(
      PROCESS_NAMES.map((name) => [
        name,
        load.every((p) => p.before?.cpuMs[name] !== null && p.after?.cpuMs[name] !== null)
          ? round2(sum((s) => s.cpuMs[name] ?? 0) / loadTickets)
          : null,
      ]),
    ) as Record<ProcessName, number | null>;
    const total = round2(PROCESS_NAMES.reduce((t, name) => t + (cpuMs[name] ?? 0), 0));
    const redisCalls = load.reduce(
      (t, p) =>
        t +
        [...redisCallsBetween(p.before as Snapshot, p.after as Snapshot).values()].reduce((a, b) => a + b, 0),
      0,
    );
    return {
      cpuMsPerTicket: { total, ...cpuMs },
      commitsPerTicket: round2(sum((s) => s.commits) / loadTickets),
      commitsPerTicketAllDatabases: round2(sum((s) => s.commitsAllDatabases) / loadTickets),
      redisCommandsPerTicket: round2(redisCalls / loadTickets),
      kafkaConsumedPerTicket: round2(sum((s) => s.consumed) / loadTickets),
    };
  })();

  const { producerRate, consumerRate, commitEachRate, inserts } = ceilings;
  const ratio = (a: number | null | undefined, b: number) =>
    a === null || a === undefined || b <= 0 ? null : Number((a / b).toPrecision(3));
  const ticketsIfOnlyCommits =
    burst && burst.resources.commitsPerTicket > 0
      ? Math.round(inserts.transactionsPerSecond / burst.resources.commitsPerTicket)
      : null;
  const ratios = {
    burstCommitsPerSecondToInsertCeiling: ratio(
      burst?.resources.commitsPerSecond,
      inserts.transactionsPerSecond,
    ),
    burstAssignedPerSecondToTicketsIfOnlyCommitsLimited: ratio(
      burst?.stages.assigned.perSecond,
      ticketsIfOnlyCommits ?? 0,
    ),
    burstKafkaConsumedPerSecondToConsumerCeiling: ratio(
      burst?.resources.kafkaConsumedPerSecond,
      consumerRate.perSecond,
    ),
    burstKafkaConsumedPerSecondToCommitEachCeiling: ratio(
      burst?.resources.kafkaConsumedPerSecond,
      commitEachRate.perSecond,
    ),
    burstKafkaProducedPerSecondToProducerCeiling: ratio(
      burst?.resources.kafkaProducedPerSecond,
      producerRate.perSecond,
    ),
  };

  console.log('');
  console.log('== Raw ceilings, same machine, same run');
  console.log(
    table(
      ['ceiling', 'messages', 'seconds', 'per s'],
      [
        [
          'kafkajs producer, 1 KB, batches of 1,000, acks=all',
          producerRate.messages,
          producerRate.seconds,
          producerRate.perSecond,
        ],
        [
          'kafkajs eachMessage consumer, no database',
          consumerRate.messages,
          consumerRate.seconds,
          consumerRate.perSecond,
        ],
        [
          'kafkajs eachMessage consumer, commit after each',
          commitEachRate.messages,
          commitEachRate.seconds,
          commitEachRate.perSecond,
        ],
        [
          `${inserts.tool === 'pgbench' ? 'pgbench' : 'node-pg loop (no pgbench)'}: 1-row INSERT tx, ${inserts.clients} clients`,
          null,
          inserts.seconds,
          inserts.transactionsPerSecond,
        ],
      ],
    ),
  );
  console.log(
    `   ratios: ${Object.entries(ratios)
      .map(([name, value]) => `${name} ${value ?? '-'}`)
      .join(', ')}` +
      (ticketsIfOnlyCommits === null ? '' : `; tickets/s if only commits limited: ${ticketsIfOnlyCommits}`),
  );
  const deadLettered = Object.fromEntries(book.deadLettered);
  console.log(
    `   checks: ${book.duplicateAcks} duplicate acknowledgments, ${book.asapAcks} acknowledgments without a promised time, ` +
      `${book.queued} tickets queued, dead-lettered ${JSON.stringify(deadLettered)}, ` +
      `acknowledgment ledger states ${JSON.stringify(Object.fromEntries(ackStates))}, ${book.staffEmails} agent emails` +
      (badExits.length > 0
        ? `; non-zero exits on SIGTERM: ${JSON.stringify(Object.fromEntries(badExits))}`
        : ''),
  );

  const summary = {
    bench: 'e2e',
    run: tag,
    sandbox: sandboxId,
    date: new Date().toISOString(),
    scale: {
      burst: BURST,
      rates: RATES,
      seconds: SECONDS,
      agents: AGENTS,
      warmup: WARMUP,
      firstResponse: FIRST_RESPONSE,
    },
    burstTickets: burst?.tickets ?? 0,
    burstAckSeconds:
      burst?.stages.ackSmtp.done === burst?.tickets ? (burst?.stages.ackSmtp.allDoneSeconds ?? null) : null,
    burstAssignedPerS: burst?.stages.assigned.perSecond ?? null,
    burstAckPerS: burst?.stages.ackSmtp.perSecond ?? null,
    sustainedAssignedPerS: best('assigned'),
    sustainedAckPerS: best('ackSmtp'),
    p99AssignedMsAt200: at200?.stages.assigned.p99Ms ?? null,
    p99SlaStartedMsAt200: at200?.stages.slaStarted.p99Ms ?? null,
    p99AckMsAt200: at200?.stages.ackSmtp.p99Ms ?? null,
    cpuMsPerTicket: overall?.cpuMsPerTicket ?? null,
    commitsPerTicket: overall?.commitsPerTicket ?? null,
    commitsPerTicketAllDatabases: overall?.commitsPerTicketAllDatabases ?? null,
    redisCommandsPerTicket: overall?.redisCommandsPerTicket ?? null,
    kafkaConsumedPerTicket: overall?.kafkaConsumedPerTicket ?? null,
    ceilings: {
      kafkaProducer1KbPerS: producerRate.perSecond,
      kafkaConsumerPerS: consumerRate.perSecond,
      kafkaConsumerCommitEachPerS: commitEachRate.perSecond,
      pgInsertTps: inserts.transactionsPerSecond,
      pgInsertTool: inserts.tool,
    },
    ratios,
    idlePerSecond: {
      cpuMs: idleFigures.cpuMsPerTicket,
      commits: idleFigures.commitsPerTicket,
      redisCommands: idleFigures.redisCommandsPerTicket,
    },
    checks: {
      duplicateAcks: book.duplicateAcks,
      acksWithoutPromisedTime: book.asapAcks,
      queued: book.queued,
      deadLettered,
      serviceExitCodes: Object.fromEntries(badExits),
    },
    phases: results,
  };
  console.log('');
  console.log(JSON.stringify(summary));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `bench:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
