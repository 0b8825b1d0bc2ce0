import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Topic } from '@app/contracts';
import { waitFor } from '@app/testing';
import { RunningSystem } from './support/system';

const TICKETS = 200;

/**
 * R1/R2 across a crash: while tickets flow, the routing process is killed with SIGKILL (no drain,
 * no offset commit, transactions cut mid-flight) and started again. Every ticket must end up
 * assigned exactly once: no event lost, none applied twice.
 */
describe('kill -9 of routing while 200 tickets flow', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await RunningSystem.start();
    for (let i = 0; i < 4; i++) {
      const agent = await system.http('routing', 'POST', '/v1/agents', {
        name: `Agent ${i}`,
        email: `agent${i}.${randomUUID().slice(0, 8)}@agents.example.com`,
        skills: [],
        capacity: 100,
        status: 'online',
      });
      expect(agent.status).toBe(201);
    }
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function createTickets(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let batch = 0; batch < count; batch += 20) {
      const responses = await Promise.all(
        Array.from({ length: Math.min(20, count - batch) }, () =>
          system.http<{ id: string }>(
            'intake',
            'POST',
            '/v1/tickets',
            {
              channel: 'web',
              customer: { email: `f-${randomUUID()}@customers.example.com` },
              subject: 'Help',
              body: 'Please.',
            },
            'publisher',
          ),
        ),
      );
      for (const response of responses) {
        expect(response.status).toBe(201);
        ids.push(response.body.id);
      }
    }
    return ids;
  }

  it('assigns every ticket exactly once', async () => {
    const routing = system.services.routing;
    const firstWave = await createTickets(80);
    // Kill as soon as routing is mid-stream: some of the first wave assigned, the rest in flight.
    await waitFor(() => system.events(Topic.AssignmentEvents, 'ticket.assigned').length >= 10, {
      description: 'routing to be mid-stream',
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    expect(await routing.stop('SIGKILL')).toBeNull();
    const whileDown = await createTickets(60);
    await routing.start();
    const afterRestart = await createTickets(TICKETS - 140);
    const all = [...firstWave, ...whileDown, ...afterRestart];

    const assignedEventIds = await waitFor(
      () => {
        const byTicket = new Map<string, Set<string>>();
        for (const event of system.events(Topic.AssignmentEvents, 'ticket.assigned')) {
          const ids = byTicket.get(event.data.ticketId) ?? new Set<string>();
          ids.add(event.id);
          byTicket.set(event.data.ticketId, ids);
        }
        return all.every((id) => byTicket.has(id)) && byTicket;
      },
      { description: `all ${TICKETS} tickets assigned`, timeoutMs: 120_000, intervalMs: 500 },
    );
    // The outbox may publish an event twice after a crash (at-least-once), but it is the same
    // event: one decision per ticket.
    for (const id of all) expect(assignedEventIds.get(id)?.size).toBe(1);

    const db = new Client({ connectionString: system.sandbox.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query<{ ticket_id: string; n: string }>(
        'SELECT ticket_id, count(*) AS n FROM routing.assignments WHERE ticket_id = ANY($1::uuid[]) GROUP BY ticket_id',
        [all],
      );
      expect(rows.rows).toHaveLength(TICKETS);
      expect(rows.rows.every((row) => row.n === '1')).toBe(true);
      const load = await db.query<{ total: string }>('SELECT sum(active_count) AS total FROM routing.agents');
      expect(Number(load.rows[0].total)).toBe(TICKETS);
    } finally {
      await db.end();
    }
  });
});
