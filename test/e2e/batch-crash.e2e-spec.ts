import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Topic } from '@app/contracts';
import { waitFor } from '@app/testing';
import { RunningSystem } from './support/system';

const TICKETS = 600;
const PER_REQUEST = 150;
/** The tickets of this run's customers, by their email identity. */
const OF_RUN = `JOIN intake.customer_identities i ON i.customer_id = t.customer_id AND i.kind = 'email'
  WHERE i.value = ANY($1)`;

/**
 * R1/R2 for batch consumers: inbound events arrive in large batches, which intake and then routing
 * apply many to a transaction. Each is killed with SIGKILL while batches are in flight (some
 * committed, some mid-transaction, offsets of committed ones possibly not yet written) and started
 * again. Every event must still become exactly one ticket with exactly one assignment.
 */
describe('kill -9 of batch consumers mid-batch', () => {
  let system: RunningSystem;
  let db: Client;
  const run = randomUUID().slice(0, 8);
  const emails = Array.from({ length: TICKETS }, (_, i) => `batch-${run}-${i}@customers.example.com`);

  beforeAll(async () => {
    system = await RunningSystem.start();
    for (let i = 0; i < 4; i++) {
      const agent = await system.http('routing', 'POST', '/v1/agents', {
        name: `Agent ${i}`,
        email: `agent${i}.${run}@agents.example.com`,
        skills: [],
        capacity: 1_000,
        status: 'online',
      });
      expect(agent.status).toBe(201);
    }
    db = new Client({ connectionString: system.sandbox.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.stop();
  });

  async function count(sql: string): Promise<number> {
    const { rows } = await db.query<{ n: string }>(sql, [emails]);
    return Number(rows[0].n);
  }

  const storedTickets = () => count(`SELECT count(*) AS n FROM intake.tickets t ${OF_RUN}`);

  it('turns every event into exactly one ticket and one assignment', async () => {
    const inbound = system.topic(Topic.TicketsInbound);
    for (let from = 0; from < TICKETS; from += PER_REQUEST) {
      // One request per key: the broker appends it as one record batch, fetched together.
      const events = emails.slice(from, from + PER_REQUEST).map((email) =>
        JSON.stringify({
          specversion: '1.0',
          id: randomUUID(),
          source: 'batch-gateway',
          type: 'ticket.requested',
          data: { channel: 'email', customer: { email }, subject: 'Order missing', body: 'Where is it?' },
        }),
      );
      await system.probe.publishBatch(inbound, events, `key-${from}`);
    }

    await waitFor(async () => (await storedTickets()) >= 20, {
      description: 'intake to be mid-stream',
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    expect(await system.services.intake.stop('SIGKILL')).toBeNull();
    const storedAtKill = await storedTickets();
    await system.services.intake.start();

    await waitFor(() => system.events(Topic.AssignmentEvents, 'ticket.assigned').length >= 20, {
      description: 'routing to be mid-stream',
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    expect(await system.services.routing.stop('SIGKILL')).toBeNull();
    await system.services.routing.start();

    await waitFor(async () => (await storedTickets()) >= TICKETS, {
      description: `all ${TICKETS} tickets stored`,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    const ticketIds = (
      await db.query<{ id: string }>(`SELECT t.id FROM intake.tickets t ${OF_RUN}`, [emails])
    ).rows.map((row) => row.id);
    expect(storedAtKill).toBeLessThan(TICKETS);
    expect(ticketIds).toHaveLength(TICKETS);

    const assigned = await waitFor(
      () => {
        const byTicket = new Map<string, Set<string>>();
        for (const event of system.events(Topic.AssignmentEvents, 'ticket.assigned')) {
          const ids = byTicket.get(event.data.ticketId) ?? new Set<string>();
          ids.add(event.id);
          byTicket.set(event.data.ticketId, ids);
        }
        return ticketIds.every((id) => byTicket.has(id)) && byTicket;
      },
      { description: `all ${TICKETS} tickets assigned`, timeoutMs: 120_000, intervalMs: 500 },
    ).catch((error: unknown) => {
      // What routing did since its restart tells a slow consumer from a wedged one.
      throw new Error(`${String(error)}\n--- routing ---\n${system.services.routing.logs().slice(-8_000)}`);
    });
    // A crash may make the outbox publish an event again (at-least-once): the same event id.
    for (const id of ticketIds) expect(assigned.get(id)?.size).toBe(1);
    const created = new Map<string, Set<string>>();
    for (const event of system.events(Topic.TicketEvents, 'ticket.created')) {
      created.set(event.data.ticketId, (created.get(event.data.ticketId) ?? new Set()).add(event.id));
    }
    for (const id of ticketIds) expect(created.get(id)?.size).toBe(1);

    const assignments = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM routing.assignments WHERE ticket_id = ANY($1::uuid[]) GROUP BY ticket_id',
      [ticketIds],
    );
    expect(assignments.rows).toHaveLength(TICKETS);
    expect(assignments.rows.every((row) => row.n === '1')).toBe(true);
    const load = await db.query<{ total: string }>('SELECT sum(active_count) AS total FROM routing.agents');
    expect(Number(load.rows[0].total)).toBe(TICKETS);
  });
});
