/**
 * Routing decisions at scale, on the real Postgres and Redis `deploy/local/infra.sh` runs:
 * 1,000 agents and 10,000 tickets, through the same AssignmentService the consumers call.
 *
 *   npm run bench:routing            # BENCH_AGENTS, BENCH_TICKETS, BENCH_CONCURRENCY override
 *
 * It reports rates and latency percentiles, never asserts them: the machine is shared.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createSandbox, provideInfrastructure } from '@app/testing';
import { AssignmentService } from '../apps/routing/src/assignment/assignment.service';
import { loadRoutingConfig } from '../apps/routing/src/config/routing.config';
import { RoutingModule } from '../apps/routing/src/routing.module';
import { RoutingTicket } from '../apps/routing/src/tickets/routing-ticket.entity';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 1_000);
const TICKETS = Number(process.env.BENCH_TICKETS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const CAPACITY = Math.ceil(TICKETS / AGENTS);
const LANGUAGES = ['en', 'tr', 'el', 'de', 'fr'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;

interface Phase {
  phase: string;
  decisions: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `work` for each item with `CONCURRENCY` transactions in flight; latency per item. */
async function measure<T>(phase: string, items: T[], work: (item: T) => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  let decisions = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const t0 = process.hrtime.bigint();
        const made = await work(item);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        // A drain call places several tickets: each gets its share of the call's time.
        for (let i = 0; i < made; i++) latencies.push(ms / made);
        decisions += made;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    phase,
    decisions,
    seconds: round(seconds),
    perSecond: Math.round(decisions / seconds),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
  };
}

/** Postgres takes at most 65,535 parameters per statement. */
async function insertInChunks(db: DataSource, tickets: RoutingTicket[]): Promise<void> {
  for (let i = 0; i < tickets.length; i += 1_000) {
    await db
      .getRepository(RoutingTicket)
      .insert(tickets.slice(i, i + 1_000).map((ticket) => ({ ...ticket })));
  }
}

async function main(): Promise<void> {
  Object.assign(process.env, (await provideInfrastructure()).urls);
  const sandbox = await createSandbox({ LOG_LEVEL: 'error', ROUTING_RECONCILE_INTERVAL_MS: '3600000' });
  const app = await NestFactory.createApplicationContext(
    RoutingModule.forRoot(loadRoutingConfig(sandbox.env)),
    {
      logger: ['error'],
    },
  );
  try {
    const db = app.get(DataSource);
    const assignments = app.get(AssignmentService);
    await db.query(
      `INSERT INTO agents (tenant, name, email, skills, capacity, status)
       SELECT 'default', 'Agent ' || n, 'agent' || n || '@bench.example.com',
              ARRAY['lang:' || ($1::text[])[1 + n % $2], 'skill' || (n % 10)], $3, 'offline'
       FROM generate_series(1, $4) AS n`,
      [LANGUAGES, LANGUAGES.length, CAPACITY, AGENTS],
    );
    const tickets: RoutingTicket[] = Array.from({ length: TICKETS }, (_, i) =>
      db.getRepository(RoutingTicket).create({
        tenant: 'default',
        ticketId: randomUUID(),
        channel: 'email',
        priority: PRIORITIES[i % PRIORITIES.length],
        category: null,
        tags: [],
        language: LANGUAGES[i % LANGUAGES.length],
        status: 'new',
        firstResponseAt: null,
      }),
    );
    await insertInChunks(db, tickets);

    const results: Phase[] = [];
    // Every agent offline: each decision explains itself and queues the ticket.
    results.push(
      await measure(`queue ${TICKETS} tickets, every agent offline`, tickets, async (ticket) => {
        await db.transaction((manager) => assignments.route(manager, ticket, { kind: 'job' }));
        return 1;
      }),
    );
    // Every agent comes online: each drains the queue (urgent first) into their capacity.
    await db.query(`UPDATE agents SET status = 'online'`);
    const agentIds = (await db.query<Array<{ id: string }>>('SELECT id FROM agents ORDER BY random()')).map(
      (a) => a.id,
    );
    results.push(
      await measure(`drain the queue as ${AGENTS} agents come online`, agentIds, (agentId) =>
        db.transaction((manager) => assignments.drainForAgent(manager, agentId, { kind: 'job' })),
      ),
    );
    // Free every slot, then route fresh tickets straight to agents.
    await db.query(`UPDATE assignments SET state = 'released'; UPDATE agents SET active_count = 0`);
    await db.query('DELETE FROM routing_queue');
    const fresh = tickets.map((ticket) => ({ ...ticket, ticketId: randomUUID() }));
    await insertInChunks(db, fresh);
    results.push(
      await measure(`assign ${TICKETS} new tickets to ${AGENTS} online agents`, fresh, async (ticket) => {
        await db.transaction((manager) => assignments.route(manager, ticket, { kind: 'job' }));
        return 1;
      }),
    );

    const [{ over }] = await db.query<Array<{ over: number }>>(
      'SELECT count(*)::int AS over FROM agents WHERE active_count > capacity',
    );
    console.log(
      JSON.stringify({
        agents: AGENTS,
        tickets: TICKETS,
        concurrency: CONCURRENCY,
        agentsOverCapacity: over,
      }),
    );
    console.table(results);
  } finally {
    await app.close();
    await sandbox.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
