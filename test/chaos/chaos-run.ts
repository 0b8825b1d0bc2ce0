/**
 * A chaos run: the four services as separate OS processes (two replicas each of routing and sla),
 * a seeded mixed load, and faults drawn from the same seed: kill -9 of random service processes,
 * Redis flushed and Redis crashed, the Kafka broker crashed, Postgres crashed, a consumer scaled
 * from one replica to three and back. Then it waits for quiet and checks, from Postgres, the SMTP
 * sink, the webhook receiver and the topics, that nothing was lost, nothing happened twice,
 * nothing fired early and nothing was missed. It prints one table, ends with one JSON line, and
 * exits non-zero on any violation.
 *
 *   npm run chaos                        # builds first; every variable below has a default
 *
 *   CHAOS_SEED=<n>          the seed; a failing run prints it, and the same seed replays the load and faults
 *   CHAOS_TICKETS=10000     tickets over the load window
 *   CHAOS_SECONDS=240       the load window; faults fall inside it
 *   CHAOS_KILLS=12          kill -9 of a random service replica, each restarted after 1–8 s
 *   CHAOS_FAULTS=all        the infrastructure faults: all, none, or a list of
 *                           redis_flush,redis_restart,broker_restart,postgres_restart,scale
 *   CHAOS_QUIET_SECONDS=600 longest wait for quiet after the load
 *   CHAOS_LATE_MS=10000     a breach later than this after sla could first have fired it is a violation:
 *                           after its due time, after sla learned of its clock, after an sla replica was
 *                           ready and Postgres and Redis answered again, whichever came last
 *   CHAOS_INFRA_HOME        the run's own Postgres, Redis and Kafka (default .infra-chaos/), on
 *                           ports 25432, 26379, 29092 and 29093 unless CHAOS_*_PORT say otherwise
 *   CHAOS_BASE_PORT=24000   the services' HTTP ports count up from here (another run may use the default)
 *   CHAOS_KEEP=1            keep the run's database and the infrastructure running afterwards
 *
 * The run uses infrastructure of its own, never the one the tests share: it crashes it on purpose.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { createSandbox, REPO_ROOT, SmtpSink, WebhookReceiver } from '@app/testing';
import { SERVICE_NAMES } from '../e2e/support/service-process';
import { CapacityWatch, checkRun, waitForQuiet } from './checks';
import { Cluster, type Layout } from './cluster';
import { ALL_INFRA_FAULTS, FaultInjector, type FaultKind, planFaults } from './faults';
import { ChaosHttp } from './http-client';
import { Load, planLoad } from './load';
import { SeededRandom } from './random';
import { report } from './report';
import { setUpTenant } from './tenant';
import { LiveTracker } from './tracker';

const int = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
};

/**
 * A port for the run's Postgres, Redis or Kafka, never one the kernel hands out to outgoing
 * connections: a client that keeps reconnecting to a stopped server on such a port can be given
 * that very port as its own and connect to itself, and then the restarted server cannot bind.
 */
const infraPort = (name: string, fallback: number) => {
  const port = int(name, fallback);
  const range = '/proc/sys/net/ipv4/ip_local_port_range';
  if (!existsSync(range)) return String(port);
  const [low, high] = readFileSync(range, 'utf8').trim().split(/\s+/).map(Number);
  if (port >= low && port <= high) {
    throw new Error(
      `${name}=${port} is in this machine's ephemeral port range (${low}-${high}): a client reconnecting ` +
        'while the fault has the server down can take the port, and the server cannot start again. ' +
        `Choose a port below ${low}.`,
    );
  }
  return String(port);
};

const SEED = int('CHAOS_SEED', Math.floor(Math.random() * 1_000_000));
const TICKETS = int('CHAOS_TICKETS', 10_000);
const SECONDS = Math.max(30, int('CHAOS_SECONDS', 240));
const KILLS = int('CHAOS_KILLS', 12);
const QUIET_SECONDS = int('CHAOS_QUIET_SECONDS', 600);
const LATE_MS = int('CHAOS_LATE_MS', 10_000);
const KEEP = process.env.CHAOS_KEEP === '1';
const FAULTS = parseFaults(process.env.CHAOS_FAULTS ?? 'all');
const INFRA_ENV = {
  INFRA: 'local',
  INFRA_HOME: process.env.CHAOS_INFRA_HOME ?? resolve(REPO_ROOT, '.infra-chaos'),
  POSTGRES_PORT: infraPort('CHAOS_POSTGRES_PORT', 25_432),
  REDIS_PORT: infraPort('CHAOS_REDIS_PORT', 26_379),
  KAFKA_PORT: infraPort('CHAOS_KAFKA_PORT', 29_092),
  KAFKA_CONTROLLER_PORT: infraPort('CHAOS_KAFKA_CONTROLLER_PORT', 29_093),
};
const LAYOUT: Layout = { intake: 1, routing: 2, sla: 2, notifications: 1 };
/** Below Linux's ephemeral range, apart from the e2e tests' and the benchmarks' ports. */
const BASE_PORT = int('CHAOS_BASE_PORT', 24_000);

function parseFaults(value: string): FaultKind[] {
  if (value === 'all') return ALL_INFRA_FAULTS;
  if (value === 'none' || value === '') return [];
  const kinds = value.split(',').map((kind) => kind.trim());
  const unknown = kinds.filter((kind) => !ALL_INFRA_FAULTS.includes(kind as FaultKind));
  if (unknown.length > 0)
    throw new Error(`CHAOS_FAULTS: unknown ${unknown.join(', ')}; known: ${ALL_INFRA_FAULTS.join(', ')}`);
  return kinds as FaultKind[];
}

const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);

function infra(command: string): void {
  const result = spawnSync('bash', [resolve(REPO_ROOT, 'deploy/local/infra.sh'), command], {
    env: { ...process.env, ...INFRA_ENV },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`infra.sh ${command} exited ${result.status}`);
}

async function main(): Promise<number> {
  say(
    `seed ${SEED}: ${TICKETS} tickets over ${SECONDS} s, ${KILLS} kills, faults: ${FAULTS.join(', ') || 'none'}`,
  );
  infra('up');
  const urls = {
    DATABASE_URL: `postgres://ticketflow:ticketflow@127.0.0.1:${INFRA_ENV.POSTGRES_PORT}/ticketflow`,
    REDIS_URL: `redis://127.0.0.1:${INFRA_ENV.REDIS_PORT}`,
    KAFKA_BROKERS: `127.0.0.1:${INFRA_ENV.KAFKA_PORT}`,
  };
  Object.assign(process.env, urls);
  const runDir = resolve(INFRA_ENV.INFRA_HOME, 'runs', `seed-${SEED}-${Date.now()}`);
  mkdirSync(runDir, { recursive: true });

  const smtp = new SmtpSink();
  const smtpPort = await smtp.start();
  const webhooks = new WebhookReceiver();
  const webhookUrl = await webhooks.start();
  const sandbox = await createSandbox({
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_DISABLED: 'true',
    NOTIFICATIONS_WEBHOOK_ALLOWED_DESTINATIONS: '127.0.0.1',
    NOTIFICATIONS_COALESCE_WINDOW: 'PT2S',
    // Short enough that a send whose job Redis lost is found again within the run's quiet wait.
    NOTIFICATIONS_DELIVERY_LEASE: 'PT20S',
    NOTIFICATIONS_SEND_BACKOFF_MAX_MS: '5000',
    NOTIFICATIONS_WEBHOOK_BACKOFF_MS: '500',
    FOLLOW_UP_SURVEY_AFTER: 'PT5S',
    PENDING_REMINDER_AFTER: 'PT6S',
    PENDING_AUTO_SOLVE_AFTER: 'PT6S',
    SHUTDOWN_TIMEOUT_MS: '15000',
  });
  const physical = (topic: string) => `${sandbox.env.KAFKA_TOPIC_PREFIX}${topic}`;
  const cluster = new Cluster(sandbox.env, BASE_PORT);
  const http = new ChaosHttp(cluster);
  const kafka = new Kafka({
    clientId: 'chaos-run',
    brokers: [urls.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, maxRetryTime: 2_000 },
  });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const tracker = new LiveTracker(kafka, physical);
  const redis = new Redis(urls.REDIS_URL, { maxRetriesPerRequest: null });
  // The run takes Redis down on purpose; this client's commands wait for it to return.
  redis.on('error', () => undefined);
  const db = () => new Client({ connectionString: sandbox.databaseUrl });
  const random = new SeededRandom(SEED);
  let exitCode = 1;
  try {
    say('starting the services');
    await cluster.start(LAYOUT);
    const tenant = await setUpTenant(http, webhookUrl);
    await producer.connect();
    await tracker.start();

    const loadMs = SECONDS * 1_000;
    const plans = planLoad(random.fork('load'), TICKETS, loadMs, SEED);
    const replicaNames = SERVICE_NAMES.flatMap((service) =>
      Array.from({ length: LAYOUT[service] }, (_, i) => `${service}-${i + 1}`),
    );
    const faults = planFaults(
      random.fork('faults'),
      Math.floor(loadMs * 0.85),
      KILLS,
      FAULTS,
      replicaNames,
      'notifications',
    );
    const load = new Load(http, producer, tracker, physical, random.fork('surveys'), SEED);
    smtp.onAccepted = (mail) => load.onMail(mail);
    const injector = new FaultInjector(cluster, redis, INFRA_ENV, say);
    const capacity = new CapacityWatch(db);
    capacity.start();

    say(`load for ${SECONDS} s`);
    const startedAt = Date.now();
    const progress = setInterval(() => {
      const created = [...load.records.values()].filter((record) => record.ticketId).length;
      say(
        `+${Math.round((Date.now() - startedAt) / 1000)} s: ${created} tickets, ${smtp.messages.length} mails, ${injector.log.length} faults`,
      );
    }, 15_000);
    await Promise.all([load.run(plans), injector.run(faults, startedAt)]);
    clearInterval(progress);
    say(`load done in ${Math.round((Date.now() - startedAt) / 1000)} s; waiting for quiet`);
    const quiet = await waitForQuiet({
      db,
      cluster,
      kafka,
      sandboxPrefix: sandbox.env.KAFKA_TOPIC_PREFIX,
      timeoutMs: QUIET_SECONDS * 1000,
      say,
    });
    capacity.stop();

    const results = await checkRun({
      db,
      kafka,
      prefix: sandbox.env.KAFKA_TOPIC_PREFIX,
      load,
      smtp,
      webhooks,
      cluster,
      capacity,
      quiet,
      lateMs: LATE_MS,
      tenant,
      faults: injector,
    });
    const violations = report({
      seed: SEED,
      loadStartedAt: startedAt,
      results,
      faults: injector.log,
      http: http.met,
      load,
      cluster,
      say,
    });
    exitCode = violations === 0 ? 0 : 1;
    if (exitCode !== 0)
      say(
        `replay with CHAOS_SEED=${SEED} CHAOS_TICKETS=${TICKETS} CHAOS_SECONDS=${SECONDS} CHAOS_KILLS=${KILLS} CHAOS_FAULTS=${FAULTS.join(',') || 'none'}`,
      );
  } finally {
    await tracker.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await cluster.stop().catch((error: unknown) => say(`stopping the services: ${String(error)}`));
    for (const replica of cluster.all())
      writeFileSync(resolve(runDir, `${replica.name}.log`), replica.process.logs());
    say(`service logs in ${runDir}`);
    redis.disconnect();
    await smtp.stop();
    await webhooks.stop();
    if (KEEP || exitCode !== 0) say(`kept database ${sandbox.id}`);
    else await sandbox.dispose();
    if (!KEEP) infra('down');
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `[chaos] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
