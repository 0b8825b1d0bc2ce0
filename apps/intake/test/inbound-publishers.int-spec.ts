import { randomUUID } from 'node:crypto';
import { signedRecordHeaders, Topic } from '@app/contracts';
import { TEST_API_KEYS, TEST_PUBLISHERS, waitFor } from '@app/testing';
import { loadIntakeConfig } from '../src/config/intake.config';
import { IntakeHarness, uniqueEmail, waitUntilConsumed } from './support/intake-harness';

/**
 * A publisher acts only in its own tenants (S2): records on tickets.inbound.v1 are believed only
 * when signed by a configured publisher, and only for that publisher's tenants. Through a real
 * Kafka producer and consumer.
 */
describe('inbound publishers', () => {
  let intake: IntakeHarness;

  beforeAll(async () => {
    intake = await IntakeHarness.start();
  });

  afterAll(() => intake?.stop());

  const request = (email: string) => ({
    channel: 'chat',
    customer: { email },
    subject: 'Where is my parcel?',
    body: 'It was due on Monday.',
  });

  const ticketsIn = async (email: string) =>
    intake.db.query<Array<{ tenant: string }>>(
      `SELECT t.tenant FROM tickets t JOIN customer_identities i ON i.customer_id = t.customer_id
       WHERE i.kind = 'email' AND i.value = $1 ORDER BY t.tenant`,
      [email],
    );

  const deadLetterOf = (id: string) =>
    waitFor(() => intake.deadLetters().find((m) => m.json<{ id: string }>().id === id), {
      description: `the dead letter of ${id}`,
    });

  it("creates a ticket in the signing publisher's tenant, also when the event names none", async () => {
    const named = uniqueEmail('named');
    const unnamed = uniqueEmail('unnamed');
    await intake.publishInbound('ticket.requested', request(named), { tenant: 'default' });
    await intake.publishInbound('ticket.requested', request(unnamed));
    await intake.waitForTicketOf(named);
    await intake.waitForTicketOf(unnamed);
    expect(await ticketsIn(named)).toEqual([{ tenant: 'default' }]);
    expect(await ticketsIn(unnamed)).toEqual([{ tenant: 'default' }]);
  });

  it.each([
    ['another publisher’s tenant', 'other'],
    ['a tenant nobody has', 'globex'],
  ])('refuses an event for %s, creates nothing and blocks nothing behind it', async (_, tenant) => {
    const email = uniqueEmail('intruder');
    const after = uniqueEmail('after');
    const key = `customer-${randomUUID()}`;
    const refused = await intake.publishInbound('ticket.requested', request(email), { tenant, key });
    // Same key, so the same partition: it is queued right behind the refused record.
    await intake.publishInbound('ticket.requested', request(after), { key });

    const dead = await deadLetterOf(refused);
    expect(dead.headers['dlq-reason']).toBe('refused');
    expect(dead.headers['dlq-detail']).toBe(`publisher test-gateway may not act in tenant ${tenant}`);
    await intake.waitForTicketOf(after);
    expect(await ticketsIn(email)).toEqual([]);
  });

  it.each([
    ['unsigned', null],
    ['signed with a secret intake does not know', { name: 'test-gateway', secret: 'x'.repeat(40) }],
    ['signed by a publisher intake does not know', { name: 'rogue', secret: 'y'.repeat(40) }],
  ])('dead-letters a record %s as unauthenticated', async (_, signAs) => {
    const email = uniqueEmail('unsigned');
    const id = await intake.publishInbound('ticket.requested', request(email), { signAs });
    const dead = await deadLetterOf(id);
    expect(dead.headers['dlq-reason']).toBe('unauthenticated');
    await waitUntilConsumed(intake, Topic.TicketsInbound);
    expect(await ticketsIn(email)).toEqual([]);
  });

  it('dead-letters a signed record whose value was changed after signing', async () => {
    const email = uniqueEmail('tampered');
    const id = randomUUID();
    const event = (tenant: string) =>
      JSON.stringify({
        specversion: '1.0',
        id,
        source: 'test-gateway',
        type: 'ticket.requested',
        tenant,
        data: request(email),
      });
    // Signed for the publisher's own tenant, then rewritten to name another one.
    const headers = signedRecordHeaders(event('default'), TEST_PUBLISHERS.gateway);
    await intake.probe.publish(intake.topic(Topic.TicketsInbound), event('other'), undefined, { headers });
    expect((await deadLetterOf(id)).headers['dlq-reason']).toBe('unauthenticated');
    expect(await ticketsIn(email)).toEqual([]);
  });

  it("keeps two tenants' events with the same source and id apart", async () => {
    const email = uniqueEmail('twins');
    const id = randomUUID();
    await intake.publishInbound('ticket.requested', request(email), { id, source: 'shared-crm' });
    await intake.publishInbound('ticket.requested', request(email), {
      id,
      source: 'shared-crm',
      signAs: TEST_PUBLISHERS.otherGateway,
    });
    await waitFor(async () => (await ticketsIn(email)).length === 2, {
      description: 'one ticket per tenant',
    });
    expect(await ticketsIn(email)).toEqual([{ tenant: 'default' }, { tenant: 'other' }]);
  });

  it('takes system commands only from the internal topic', async () => {
    const { body: ticket } = await intake.createTicket(request(uniqueEmail('cmd'))).expect(201);
    const forged = await intake.publishInbound(
      'ticket.transition.requested',
      { ticketId: ticket.id, from: ticket.status, to: 'solved', reason: 'auto_solve' },
      { key: ticket.id },
    );
    expect((await deadLetterOf(forged)).headers['dlq-reason']).toBe('wrong_topic');
    expect((await intake.ticket(ticket.id)).body.status).toBe(ticket.status);
  });

  it('refuses to start with a publisher entitled to a tenant no API key has', () => {
    const env = {
      ...intake.sandbox.env,
      INBOUND_PUBLISHERS: `crm:default|globex:${'s'.repeat(40)}`,
      API_KEYS: TEST_API_KEYS.admin,
    };
    expect(() => loadIntakeConfig(env)).toThrow(
      'INBOUND_PUBLISHERS: publisher crm names tenant globex, which no API key has',
    );
  });
});
