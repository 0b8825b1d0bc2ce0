import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { CHANNELS, type EventEnvelope, InvalidEventError, LIMITS, parseEvent, Topic } from '@app/contracts';
import { waitFor } from '@app/testing';
import { IntakeHarness, rawEmail, uniqueEmail, waitUntilConsumed } from './support/intake-harness';

/** Duplicates under real concurrency, and arbitrary bad input, against real Postgres and Kafka. */
describe('inbound robustness', () => {
  let intake: IntakeHarness;

  beforeAll(async () => {
    intake = await IntakeHarness.start({ KAFKA_TOPIC_PARTITIONS: '6' });
    // A second intake process in the same group: the duplicates below are consumed in parallel.
    await intake.startReplica();
  });

  afterAll(() => intake?.stop());

  const createdFor = (ticketIds: string[]) =>
    ticketIds.flatMap((id) => intake.eventsOf(id)).filter((event) => event.type === 'ticket.created');

  it('creates exactly one ticket from 50 concurrent deliveries of one inbound event', async () => {
    const email = uniqueEmail('dup');
    const event = JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: 'mail-gateway',
      type: 'ticket.requested',
      data: {
        channel: 'email',
        customer: { email },
        subject: 'Duplicate storm',
        body: 'Delivered many times.',
      },
    });
    // Different keys spread the copies over every partition, hence over both processes.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        intake.probe.publish(intake.topic(Topic.TicketsInbound), event, `copy-${i}`),
      ),
    );
    await waitUntilConsumed(intake, Topic.TicketsInbound);

    const tickets = await intake.ticketsOfEmail(email);
    expect(tickets).toHaveLength(1);
    await waitFor(() => createdFor([tickets[0].id]).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(createdFor([tickets[0].id])).toHaveLength(1);
    expect(intake.deadLetters().filter((m) => m.value === event)).toHaveLength(0);
  });

  it('creates exactly one ticket and one message from 50 concurrent posts of one email and of one externalId', async () => {
    const email = uniqueEmail('storm');
    const raw = rawEmail({ from: email, subject: 'Same mail', body: 'Posted fifty times at once.' });
    const externalId = `ext-${randomUUID()}`;
    const [mails, creates] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => intake.email(raw))),
      Promise.all(
        Array.from({ length: 50 }, () =>
          intake.createTicket({
            channel: 'api',
            customer: { email },
            subject: 'Same id',
            body: 'Once',
            externalId,
          }),
        ),
      ),
    ]);
    expect(mails.map((r) => r.status).sort()).toEqual([...Array(49).fill(200), 201]);
    expect(creates.map((r) => r.status).sort()).toEqual([...Array(49).fill(200), 201]);
    expect(new Set(mails.map((r) => r.body.messageId)).size).toBe(1);
    expect(new Set(creates.map((r) => r.body.id)).size).toBe(1);

    const tickets = await intake.ticketsOfEmail(email);
    expect(tickets).toHaveLength(2);
    await waitFor(() => createdFor(tickets.map((t) => t.id)).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(createdFor(tickets.map((t) => t.id))).toHaveLength(2);
  });

  it('never creates a ticket or stops consuming, whatever invalid payload arrives (property)', async () => {
    const before = await intake.ticketCount();
    const valid = {
      specversion: '1.0',
      source: 'fuzz',
      type: 'ticket.requested',
      data: { channel: 'web', customer: { email: 'fuzz@example.com' }, subject: 'Fuzz', body: 'Fuzz body' },
    };
    const notAChannel = fc
      .string({ maxLength: 20 })
      .filter((s) => !(CHANNELS as readonly string[]).includes(s));
    const notAnEmail = fc.string({ maxLength: 40 }).filter((s) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s));
    const withData = (data: Record<string, unknown>, type = valid.type) => ({
      ...valid,
      id: randomUUID(),
      type,
      data,
    });

    const invalidPayload: fc.Arbitrary<string> = fc.oneof(
      // Not JSON at all.
      fc.string({ maxLength: 200 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      // JSON, but not a CloudEvent.
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      // A CloudEvent missing a required attribute, or with a wrong one.
      fc.constantFrom('specversion', 'id', 'source', 'type').map((attribute) => {
        const event: Record<string, unknown> = { ...valid, id: randomUUID() };
        delete event[attribute];
        return JSON.stringify(event);
      }),
      fc
        .string({ maxLength: 30 })
        .map((type) => JSON.stringify({ ...valid, id: randomUUID(), type: `x.${type}` })),
      // The right type with bad data.
      notAChannel.map((channel) => JSON.stringify(withData({ ...valid.data, channel }))),
      notAnEmail.map((email) => JSON.stringify(withData({ ...valid.data, customer: { email } }))),
      fc.constant(JSON.stringify(withData({ ...valid.data, customer: { name: 'No identity' } }))),
      fc
        .string({ maxLength: 20 })
        .map((key) => JSON.stringify(withData({ ...valid.data, [`unknown_${key}`]: 1 }))),
      fc
        .string({ maxLength: 10 })
        .map((priority) => JSON.stringify(withData({ ...valid.data, priority: `p-${priority}` }))),
      fc.constant(JSON.stringify(withData({ ...valid.data, body: 'x'.repeat(LIMITS.body + 1) }))),
      fc.constant(JSON.stringify(withData({ ...valid.data, subject: '   ' }))),
      fc.jsonValue({ maxDepth: 2 }).map((data) => JSON.stringify({ ...valid, id: randomUUID(), data })),
      fc.constant(
        JSON.stringify(
          withData(
            { channel: 'chat', customer: { email: 'fuzz@example.com' }, reason: 'r', transcript: [] },
            'conversation.escalated',
          ),
        ),
      ),
      // Well-formed, but naming a ticket that does not exist: the service refuses it.
      fc
        .uuid()
        .map((ticketId) =>
          JSON.stringify(
            withData(
              { channel: 'api', customer: { email: 'fuzz@example.com' }, body: 'hi', ticketId },
              'ticket.message.received',
            ),
          ),
        ),
    );

    await fc.assert(
      fc.asyncProperty(invalidPayload, async (payload) => {
        const key = randomUUID();
        await intake.probe.publish(intake.topic(Topic.TicketsInbound), payload, key);
        const letter = await waitFor(() => intake.deadLetters().find((m) => m.key === key), {
          description: 'the dead letter of a fuzzed payload',
        });
        expect(letter.headers['dlq-reason']).toMatch(
          /^(too_large|malformed_json|invalid_envelope|unknown_type|invalid_data|wrong_topic|refused)$/,
        );
        expect(await intake.ticketCount()).toBe(before);
      }),
      { numRuns: 60 },
    );

    // Everything fuzzed was invalid to the contract too, except the refused ones.
    // And the consumer is still consuming: a valid event after all that still becomes a ticket.
    const email = uniqueEmail('after-fuzz');
    await intake.publishInbound('ticket.requested', { ...valid.data, customer: { email } });
    await intake.waitForTicketOf(email);
  });

  it('classifies the fuzz categories the same way the contract parser does', () => {
    const bad = JSON.stringify({
      specversion: '1.0',
      id: 'x',
      source: 's',
      type: 'ticket.requested',
      data: { channel: 'fax' },
    });
    expect(() => parseEvent(bad, { topic: Topic.TicketsInbound })).toThrow(InvalidEventError);
    const refused: EventEnvelope<'ticket.message.received'>['data'] = {
      channel: 'api',
      customer: { email: 'fuzz@example.com' },
      body: 'hi',
      ticketId: randomUUID(),
    };
    expect(() =>
      parseEvent(
        JSON.stringify({
          specversion: '1.0',
          id: 'y',
          source: 's',
          type: 'ticket.message.received',
          data: refused,
        }),
      ),
    ).not.toThrow();
  });
});
