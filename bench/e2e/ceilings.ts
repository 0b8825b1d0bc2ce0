import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Kafka, Partitioners } from 'kafkajs';
import { Client } from 'pg';

export interface Rate {
  messages: number;
  seconds: number;
  perSecond: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * kafkajs producing 1 KB messages in batches of 1,000, acks=all, with the options the services'
 * producer uses (idempotent, one request in flight): the most the client library itself can push.
 */
export async function producerCeiling(
  kafka: Kafka,
  topic: string,
  options: { seconds: number; maxMessages: number },
): Promise<Rate> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const value = randomBytes(512).toString('hex');
    const batch = 1_000;
    let sent = 0;
    let n = 0;
    const started = performance.now();
    while (sent < options.maxMessages && performance.now() - started < options.seconds * 1000) {
      const messages = Array.from({ length: batch }, () => ({ key: String(n++), value }));
      await producer.send({ topic, acks: -1, messages });
      sent += batch;
    }
    const seconds = (performance.now() - started) / 1000;
    return { messages: sent, seconds: round(seconds), perSecond: Math.round(sent / seconds) };
  } finally {
    await producer.disconnect();
  }
}

/**
 * A kafkajs eachMessage consumer touching no database over `expected` messages, timed from the
 * first message to the last so group joining is not counted. With `commitEach`, it commits every
 * offset on its own, as a transport committing after each message's transaction must.
 */
export async function consumerCeiling(
  kafka: Kafka,
  topic: string,
  options: { expected: number; commitEach: boolean; timeoutMs: number },
): Promise<Rate> {
  const consumer = kafka.consumer({ groupId: `bench-ceiling-${randomUUID()}` });
  await consumer.connect();
  let count = 0;
  let first = 0;
  let last = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: !options.commitEach,
      eachMessage: async ({ partition, message }) => {
        if (count >= options.expected) return;
        if (count === 0) first = performance.now();
        count += 1;
        if (options.commitEach) {
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
        }
        last = performance.now();
        if (count >= options.expected) finish();
      },
    });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, options.timeoutMs).unref());
    await Promise.race([finished, timeout]);
  } finally {
    await consumer.disconnect();
  }
  const seconds = count > 1 ? (last - first) / 1000 : 0;
  return {
    messages: count,
    seconds: round(seconds),
    perSecond: seconds > 0 ? Math.round((count - 1) / seconds) : 0,
  };
}

export interface InsertCeiling {
  tool: 'pgbench' | 'node-pg';
  clients: number;
  seconds: number;
  transactionsPerSecond: number;
}

function findPgbench(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'pgbench'))) return join(dir, 'pgbench');
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin/pgbench')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin/pgbench') : undefined;
}

/**
 * Single-row INSERT transactions per second into a scratch table of the run's database: what this
 * Postgres commits at most, each commit waiting for its WAL flush. pgbench when installed, else the
 * same workload from node-postgres clients (labelled as such).
 */
export async function insertCeiling(
  databaseUrl: string,
  options: { seconds: number; clients: number },
): Promise<InsertCeiling> {
  const setup = new Client({ connectionString: databaseUrl });
  await setup.connect();
  try {
    await setup.query(
      'CREATE TABLE IF NOT EXISTS bench_scratch (id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
    );
  } finally {
    await setup.end();
  }
  const insert = "INSERT INTO bench_scratch (payload) VALUES ('ticket');";
  const pgbench = findPgbench();
  if (pgbench) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pgbench-'));
    try {
      const script = join(dir, 'insert.sql');
      writeFileSync(script, `${insert}\n`);
      const url = new URL(databaseUrl);
      const { stdout } = await promisify(execFile)(
        pgbench,
        [
          '-n',
          '-M',
          'extended',
          '-c',
          String(options.clients),
          '-j',
          String(Math.min(2, options.clients)),
          '-T',
          String(options.seconds),
          '-f',
          script,
          '-h',
          url.hostname,
          '-p',
          url.port || '5432',
          '-U',
          decodeURIComponent(url.username),
          url.pathname.slice(1),
        ],
        {
          env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
          timeout: (options.seconds + 60) * 1000,
        },
      );
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
      if (!tps) throw new Error(`could not read pgbench's tps from:\n${stdout}`);
      return {
        tool: 'pgbench',
        clients: options.clients,
        seconds: options.seconds,
        transactionsPerSecond: Math.round(Number(tps)),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const clients = await Promise.all(
    Array.from({ length: options.clients }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  try {
    let transactions = 0;
    const until = performance.now() + options.seconds * 1000;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < until) {
          await client.query(insert);
          transactions += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      tool: 'node-pg',
      clients: options.clients,
      seconds: round(seconds),
      transactionsPerSecond: Math.round(transactions / seconds),
    };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}
