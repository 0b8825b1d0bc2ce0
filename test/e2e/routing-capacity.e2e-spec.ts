import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type AnyEvent, buildEvent, serializeEvent, Topic } from '@app/contracts';
import { bearer, createSandbox, KafkaProbe, type TestSandbox, waitFor } from '@app/testing';
import { ServiceProcess } from './support/service-process';

const TICKETS = 500;
const AGENTS = 10;
const CAPACITY = 20;
/** Below the ephemeral port range, apart from the ports of RunningSystem (see support/system.ts). */
const BASE_PORT = 23_000 + (process.pid % 200) * 10;

/**
 * Load tracking is exact under concurrency: 500 tickets arrive at once and two routing processes
 * consume them in parallel. Sampled throughout, no agent ever holds more than its capacity, and at
 * the end every counter equals the assignments it counts.
 */
describe('routing capacity with 500 tickets across two routing processes', () => {
  let sandbox: TestSandbox;
  let db: Client;
  const probe = new KafkaProbe();
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    sandbox = await createSandbox({ KAFKA_TOPIC_PARTITIONS: '6' });
    for (let i = 0; i < 2; i++) {
      const routing = new ServiceProcess('routing', BASE_PORT + i, sandbox.env);
      await routing.start();
      processes.push(routing);
    }
    db = new Client({ connectionString: sandbox.databaseUrl });
    await db.connect();
    await probe.watch([topic(Topic.AssignmentEvents)]);
    for (let i = 0; i < AGENTS; i++) {
      const response = await fetch(`${processes[i % 2].url}/v1/agents`, {
        method: 'POST',
        headers: { authorization: bearer('admin'), 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Agent ${i}`,
          email: `agent${i}@agents.example.com`,
          skills: [],
          capacity: CAPACITY,
          status: 'online',
        }),
      });
      expect(response.status).toBe(201);
    }
  });

  afterAll(async () => {
    await probe.close();
    await db?.end();
    for (const routing of processes) await routing.stop('SIGTERM');
    await sandbox?.dispose();
  });

  function topic(logical: string): string {
    return `${sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
  }

  const decisions = () =>
    probe
      .on(topic(Topic.AssignmentEvents))
      .map((message) => message.json<AnyEvent>())
      .filter((event) => event.type === 'ticket.assigned' || event.type === 'ticket.queued');

  /** Agents over capacity by their counter or by their real active assignments; must stay empty. */
  async function overCapacity(): Promise<unknown[]> {
    const { rows } = await db.query(
      `SELECT a.id, a.capacity, a.active_count,
              (SELECT count(*)::int FROM routing.assignments s WHERE s.agent_id = a.id AND s.state = 'active') AS held
       FROM routing.agents a`,
    );
    return rows.filter(
      (row: { capacity: number; active_count: number; held: number }) =>
        Math.max(row.active_count, row.held) > row.capacity,
    );
  }

  async function publishAll(events: AnyEvent[]): Promise<void> {
    await Promise.all(
      events.map((event) => probe.publish(topic(Topic.TicketEvents), serializeEvent(event), event.subject)),
    );
  }

  it('never exceeds any agent’s capacity, assigns each ticket once, and keeps every counter exact', async () => {
    const tickets = Array.from({ length: TICKETS }, () => randomUUID());
    const samples: unknown[][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await overCapacity());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await publishAll(
      tickets.map((ticketId) =>
        buildEvent(
          'ticket.created',
          {
            ticketId,
            reference: 'TCK-000001',
            status: 'new',
            channel: 'web',
            priority: 'normal',
            subject: 'Help',
            category: null,
            tags: [],
            language: null,
            externalId: null,
            customer: { id: randomUUID(), email: null, name: null, locale: null },
            createdAt: new Date().toISOString(),
          },
          { source: 'ticketflow/intake', subject: ticketId },
        ),
      ),
    );
    await waitFor(() => new Set(decisions().map((e) => e.subject)).size === TICKETS, {
      description: 'a decision on every ticket',
      timeoutMs: 120_000,
      intervalMs: 250,
    });

    const assigned = decisions().filter((e) => e.type === 'ticket.assigned');
    expect(assigned).toHaveLength(AGENTS * CAPACITY);
    expect(new Set(assigned.map((e) => e.subject)).size).toBe(AGENTS * CAPACITY);
    const { rows: load } = await db.query(
      `SELECT a.active_count,
              (SELECT count(*)::int FROM routing.assignments s WHERE s.agent_id = a.id AND s.state = 'active') AS held
       FROM routing.agents a`,
    );
    expect(load).toEqual(Array.from({ length: AGENTS }, () => ({ active_count: CAPACITY, held: CAPACITY })));
    const { rows: queued } = await db.query('SELECT count(*)::int AS n FROM routing.routing_queue');
    expect(queued[0].n).toBe(TICKETS - AGENTS * CAPACITY);

    // Half the assigned tickets are solved at once: their slots go to queued tickets, still exactly.
    const solved = assigned.slice(0, 100).map((e) => e.subject as string);
    await publishAll(
      solved.map((ticketId) =>
        buildEvent(
          'ticket.status.changed',
          { ticketId, from: 'open', to: 'solved', reason: 'agent', changedAt: new Date().toISOString() },
          { source: 'ticketflow/intake', subject: ticketId },
        ),
      ),
    );
    await waitFor(
      async () =>
        (await db.query('SELECT count(*)::int AS n FROM routing.routing_queue')).rows[0].n ===
        TICKETS - AGENTS * CAPACITY - 100,
      { description: '100 queued tickets placed on the freed slots', timeoutMs: 60_000 },
    );
    sampling = false;
    await sampler;

    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((sample) => sample.length > 0)).toEqual([]);
    expect(await overCapacity()).toEqual([]);
    const { rows: final } = await db.query(
      `SELECT count(*)::int AS active, count(DISTINCT ticket_id)::int AS tickets FROM routing.assignments WHERE state = 'active'`,
    );
    expect(final[0]).toEqual({ active: AGENTS * CAPACITY, tickets: AGENTS * CAPACITY });

    // Both processes took part.
    for (const routing of processes) {
      const metrics = await (await fetch(`${routing.url}/metrics`)).text();
      const decided = [...metrics.matchAll(/^assignments_total\{[^}]*\} (\d+)/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
      expect(decided).toBeGreaterThan(0);
    }
  });
});
