import { simpleParser } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { Topic } from '@app/contracts';
import { waitFor } from '@app/testing';
import { RunningSystem } from './support/system';

interface Ticket {
  id: string;
  reference: string;
  assigneeId: string | null;
  timeline: Array<{ eventType: string }>;
}

/**
 * The walking skeleton, every hop real: four service processes, Kafka, Postgres, Redis and an
 * SMTP server. Agents and SLA policies are created through the admin APIs, as an admin would.
 */
describe('ticket flow across the four services', () => {
  let system: RunningSystem;
  const agents: Array<{ id: string; email: string }> = [];

  beforeAll(async () => {
    system = await RunningSystem.start();
    for (const name of ['Ada', 'Bob']) {
      const email = `${name.toLowerCase()}.${randomUUID().slice(0, 8)}@agents.example.com`;
      const created = await system.http<{ id: string }>('routing', 'POST', '/v1/agents', {
        name,
        email,
        skills: ['lang:en'],
        capacity: 150,
        status: 'online',
      });
      expect(created.status).toBe(201);
      agents.push({ id: created.body.id, email });
    }
    const urgent = await system.http('sla', 'POST', '/v1/sla-policies', {
      name: 'Urgent: first response in 2 seconds',
      match: { priority: 'urgent' },
      targets: { firstResponse: 'PT2S' },
      position: 10,
    });
    expect(urgent.status).toBe(201);
    const standard = await system.http('sla', 'POST', '/v1/sla-policies', {
      name: 'Everything else',
      match: {},
      targets: { firstResponse: 'PT1H' },
      position: 1000,
    });
    expect(standard.status).toBe(201);
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function ticket(id: string): Promise<Ticket> {
    const response = await system.http<Ticket>('intake', 'GET', `/v1/tickets/${id}`, undefined, 'agent');
    expect(response.status).toBe(200);
    return response.body;
  }

  it('HTTP create → assigned → acknowledgment email, with assignment, SLA and the delivery in the timeline', async () => {
    const customer = `c-${randomUUID()}@customers.example.com`;
    const created = await system.http<{ id: string; reference: string }>(
      'intake',
      'POST',
      '/v1/tickets',
      {
        channel: 'email',
        customer: { email: customer, name: 'Ayşe' },
        subject: 'Where is my order?',
        body: 'It is late.',
      },
      'publisher',
    );
    expect(created.status).toBe(201);

    const assigned = await waitFor(
      async () => {
        const current = await ticket(created.body.id);
        return current.assigneeId !== null && current;
      },
      { description: 'the ticket to be assigned', timeoutMs: 30_000 },
    );
    expect(agents.map((agent) => agent.id)).toContain(assigned.assigneeId);

    const mail = await waitFor(() => system.smtp.to(customer)[0], {
      description: 'the acknowledgment email',
    });
    expect(mail.subject).toContain(created.body.reference);

    const timeline = await waitFor(
      async () => {
        const types = (await ticket(created.body.id)).timeline.map((entry) => entry.eventType);
        const wanted = ['ticket.assigned', 'sla.started', 'notification.sent'];
        return wanted.every((type) => types.includes(type)) && types;
      },
      { description: 'assignment, SLA and notification events in the timeline' },
    );
    expect(timeline[0]).toBe('ticket.created');
    expect(timeline).toEqual(
      expect.arrayContaining(['ticket.created', 'ticket.assigned', 'sla.started', 'notification.sent']),
    );
  });

  it('an inbound CloudEvent on tickets.inbound.v1 becomes a ticket; its duplicate changes nothing', async () => {
    const customer = `k-${randomUUID()}@customers.example.com`;
    const inbound = {
      specversion: '1.0',
      id: randomUUID(),
      source: 'mail-gateway/e2e',
      type: 'ticket.requested',
      datacontenttype: 'application/json',
      data: { channel: 'email', customer: { email: customer }, subject: 'Refund', body: 'Please refund me.' },
    };
    await system.probe.publish(system.topic(Topic.TicketsInbound), JSON.stringify(inbound));
    await system.probe.publish(system.topic(Topic.TicketsInbound), JSON.stringify(inbound));

    const created = await waitFor(
      () =>
        system.events(Topic.TicketEvents, 'ticket.created').find((event) => event.causationid === inbound.id),
      { description: 'ticket.created caused by the inbound event', timeoutMs: 30_000 },
    );
    await waitFor(() => system.smtp.to(customer).length > 0, { description: 'the acknowledgment email' });
    await waitFor(() =>
      system.events(Topic.NotificationEvents, 'notification.sent').some((e) => e.subject === created.subject),
    );

    const createdEvents = system
      .events(Topic.TicketEvents, 'ticket.created')
      .filter((e) => e.causationid === inbound.id);
    expect(new Set(createdEvents.map((e) => e.id)).size).toBe(1);
    expect(system.smtp.to(customer)).toHaveLength(1);
    expect((await ticket(created.data.ticketId)).id).toBe(created.data.ticketId);
  });

  it('a malformed inbound event goes to the DLQ and the next valid one is still processed', async () => {
    const customer = `d-${randomUUID()}@customers.example.com`;
    const marker = randomUUID();
    await system.probe.publish(
      system.topic(Topic.TicketsInbound),
      `{"this is": "not a cloudevent" ${marker}`,
    );
    const valid = {
      specversion: '1.0',
      id: randomUUID(),
      source: 'chat-widget/e2e',
      type: 'ticket.requested',
      data: { channel: 'chat', customer: { email: customer }, subject: 'Hello', body: 'Anyone there?' },
    };
    await system.probe.publish(system.topic(Topic.TicketsInbound), JSON.stringify(valid));

    await waitFor(
      () => system.events(Topic.TicketEvents, 'ticket.created').some((e) => e.causationid === valid.id),
      {
        description: 'the valid event behind the malformed one',
        timeoutMs: 30_000,
      },
    );
    const deadLetter = system.probe
      .on(system.topic(`${Topic.TicketsInbound}.dlq`))
      .find((message) => message.value?.includes(marker));
    expect(deadLetter?.headers['dlq-reason']).toBe('malformed_json');
  });

  it('a PT2S first-response target with no reply breaches and emails the assignee', async () => {
    const created = await system.http<{ id: string; reference: string }>(
      'intake',
      'POST',
      '/v1/tickets',
      {
        channel: 'chat',
        priority: 'urgent',
        customer: { email: `u-${randomUUID()}@customers.example.com` },
        subject: 'Site is down',
        body: 'Checkout fails for everyone.',
      },
      'publisher',
    );
    expect(created.status).toBe(201);

    const started = await waitFor(
      () => system.events(Topic.SlaEvents, 'sla.started').find((e) => e.data.ticketId === created.body.id),
      { description: 'sla.started', timeoutMs: 30_000 },
    );
    expect(started.data.target).toBe('PT2S');
    const breached = await waitFor(
      () => system.events(Topic.SlaEvents, 'sla.breached').find((e) => e.data.ticketId === created.body.id),
      { description: 'sla.breached', timeoutMs: 30_000 },
    );
    expect(Date.parse(breached.data.breachedAt)).toBeGreaterThanOrEqual(Date.parse(started.data.dueAt));

    const assignee = (await ticket(created.body.id)).assigneeId;
    const agent = agents.find((candidate) => candidate.id === assignee);
    expect(agent).toBeDefined();
    // The assignment notice and the breach came within the coalescing window: one email carries both.
    const breachNotice = `[${created.body.reference}] SLA breached: first response was due ${started.data.dueAt}`;
    const texts = await waitFor(
      async () => {
        const mails = system.smtp.to(agent!.email).filter((m) => m.subject.includes(created.body.reference));
        const parsed = await Promise.all(
          mails.map(async (m) => `${m.subject}\n${(await simpleParser(m.raw)).text ?? ''}`),
        );
        return parsed.some((text) => text.includes(breachNotice)) && parsed;
      },
      { description: 'the breach email to the assignee', timeoutMs: 30_000 },
    ).catch(async (error: unknown) => {
      // The ticket's ledger and what notifications did meanwhile tell a slow notice from a lost one.
      const ledger = await system.http('notifications', 'GET', `/v1/deliveries?ticketId=${created.body.id}`);
      const mails = system.smtp.messages.map((mail) => `${mail.to.join(',')}: ${mail.subject}`);
      throw new Error(
        `${String(error)}\nassignee ${agent!.email}\n--- ledger ---\n${JSON.stringify(ledger.body)}` +
          `\n--- mails ---\n${mails.join('\n')}` +
          `\n--- notifications ---\n${system.services.notifications.logs().slice(-6_000)}`,
      );
    });
    expect(texts.filter((text) => text.includes(breachNotice))).toHaveLength(1);
  });
});
