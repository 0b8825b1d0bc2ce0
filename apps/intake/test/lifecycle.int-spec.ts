import { randomUUID } from 'node:crypto';
import { type AnyEvent, type EventEnvelope, Topic } from '@app/contracts';
import { bearer, waitFor } from '@app/testing';
import { IntakeHarness, uniqueEmail } from './support/intake-harness';

/** Ticket lifecycle, queries and customer merges, over real Postgres and Kafka. */
describe('ticket lifecycle, queries and customers', () => {
  let intake: IntakeHarness;

  beforeAll(async () => {
    intake = await IntakeHarness.start();
  });

  afterAll(() => intake?.stop());

  const newTicket = (overrides: Record<string, unknown> = {}) => ({
    channel: 'web',
    customer: { email: uniqueEmail() },
    subject: 'Cannot log in',
    body: 'The login page keeps spinning and never lets me in.',
    ...overrides,
  });

  it('emits ticket.updated with what changed, and nothing for an edit that changes nothing', async () => {
    const { body: ticket } = await intake.createTicket(newTicket({ tags: ['login'] })).expect(201);
    const updated = await intake
      .patch(ticket.id, { priority: 'urgent', tags: ['login', 'vip'], category: 'access' })
      .expect(200);
    expect(updated.body).toMatchObject({ priority: 'urgent', tags: ['login', 'vip'], category: 'access' });
    await intake.patch(ticket.id, { priority: 'urgent', tags: ['vip', 'login'].reverse() }).expect(200);
    await intake.patch(ticket.id, { tags: ['vip'] }).expect(200);

    const events = await waitFor(() => {
      const mine = intake.eventsOf(ticket.id).filter((e) => e.type === 'ticket.updated');
      return mine.length >= 2 && mine;
    });
    expect(events.map((e) => e.data.changes)).toEqual([
      {
        priority: { from: 'normal', to: 'urgent' },
        category: { from: null, to: 'access' },
        tags: { from: ['login'], to: ['login', 'vip'], added: ['vip'], removed: [] },
      },
      { tags: { from: ['login', 'vip'], to: ['vip'], added: [], removed: ['login'] } },
    ]);
    expect(events[1]).toMatchObject({ data: { priority: 'urgent', category: 'access', tags: ['vip'] } });
    expect(intake.eventsOf(ticket.id).map((e) => e.sequence)).toEqual([1, 2, 3]);
  });

  it('records the first public reply as the first response and each answer to a waiting customer as a next response', async () => {
    const { body: ticket } = await intake.createTicket(newTicket()).expect(201);
    const say = (body: Record<string, unknown>) => intake.message(ticket.id, body).expect(201);
    await say({ author: 'agent', agentId: 'a1', body: 'Looking into it', internal: true });
    await say({ author: 'agent', agentId: 'a1', body: 'Please clear your cookies.' });
    await say({ author: 'agent', agentId: 'a1', body: 'And try again.' });
    await say({ author: 'customer', body: 'Still spinning.' });
    await say({ author: 'agent', agentId: 'a1', body: 'Fixed on our side.' });

    const added = await waitFor(() => {
      const mine = intake
        .eventsOf(ticket.id)
        .filter((e): e is EventEnvelope<'ticket.message.added'> => e.type === 'ticket.message.added');
      return mine.length === 5 && mine;
    });
    expect(
      added.map((e) => [e.data.author, e.data.internal, e.data.firstResponse, e.data.nextResponse]),
    ).toEqual([
      ['agent', true, false, false],
      ['agent', false, true, false],
      ['agent', false, false, false],
      ['customer', false, false, false],
      ['agent', false, false, true],
    ]);
    const detail = await intake.ticket(ticket.id);
    expect(detail.body.status).toBe('open');
    expect(detail.body.awaitingReplySince).toBeNull();
    expect(Date.parse(detail.body.firstResponseAt)).toBeLessThan(Date.parse(detail.body.lastResponseAt));
    expect(detail.body.timeline.map((e: { eventType: string }) => e.eventType)).toEqual(
      intake.eventsOf(ticket.id).map((e) => e.type),
    );
  });

  it.each([
    ['new', 'closed'],
    ['open', 'new'],
    ['solved', 'pending'],
  ])('refuses %s → %s with illegal_status_transition and changes nothing', async (from, to) => {
    const { body: ticket } = await intake.createTicket(newTicket()).expect(201);
    if (from === 'open' || from === 'solved') await intake.patch(ticket.id, { status: 'open' }).expect(200);
    if (from === 'solved') await intake.patch(ticket.id, { status: 'solved' }).expect(200);
    const refused = await intake.patch(ticket.id, { status: to, priority: 'low' }).expect(409);
    expect(refused.body).toMatchObject({ code: 'illegal_status_transition' });
    expect((await intake.ticket(ticket.id)).body).toMatchObject({ status: from, priority: 'normal' });
  });

  it("applies an automation's transition only while the ticket is still where the automation saw it", async () => {
    const { body: ticket } = await intake.createTicket(newTicket()).expect(201);
    await intake.patch(ticket.id, { status: 'solved' }).expect(200);
    const request = { ticketId: ticket.id, from: 'solved', to: 'closed', reason: 'auto_close' };
    await intake.publishCommand('ticket.transition.requested', request, { key: ticket.id });
    await waitFor(async () => (await intake.ticket(ticket.id)).body.status === 'closed', {
      description: 'the auto-close applied',
    });
    const closed = intake
      .eventsOf(ticket.id)
      .filter(
        (e): e is Extract<AnyEvent, { type: 'ticket.status.changed' }> => e.type === 'ticket.status.changed',
      )
      .at(-1);
    expect(closed?.data).toMatchObject({ from: 'solved', to: 'closed', reason: 'automation' });

    // The customer answered first: a pending ticket that is open again is not auto-solved.
    const { body: other } = await intake.createTicket(newTicket()).expect(201);
    await intake.patch(other.id, { status: 'pending' }).expect(200);
    await intake.message(other.id, { author: 'customer', body: 'Here is the screenshot' }).expect(201);
    await intake.publishCommand(
      'ticket.transition.requested',
      { ticketId: other.id, from: 'pending', to: 'solved', reason: 'auto_solve' },
      { key: other.id },
    );
    const impossible = await intake.publishCommand(
      'ticket.transition.requested',
      { ticketId: other.id, from: 'closed', to: 'open', reason: 'auto_solve' },
      { key: other.id },
    );
    const [dead] = await waitFor(() => {
      const found = intake
        .deadLetters(Topic.TicketCommands)
        .filter((m) => m.json<{ id: string }>().id === impossible);
      return found.length > 0 && found;
    });
    expect(dead.headers['dlq-reason']).toBe('refused');
    expect((await intake.ticket(other.id)).body.status).toBe('open');
  });

  it('walks new → open → pending → on_hold → open → solved → closed, stamping solved and closed times', async () => {
    const { body: ticket } = await intake.createTicket(newTicket()).expect(201);
    for (const status of ['open', 'pending', 'on_hold', 'open', 'solved', 'closed']) {
      await intake.patch(ticket.id, { status }).expect(200);
    }
    const detail = await intake.ticket(ticket.id);
    expect(detail.body.status).toBe('closed');
    expect(detail.body.solvedAt).not.toBeNull();
    expect(detail.body.closedAt).not.toBeNull();
    const edit = await intake.patch(ticket.id, { tags: ['late'] }).expect(409);
    expect(edit.body.code).toBe('ticket_closed');
  });

  it('detects Turkish, Greek and English tickets, and lets the customer’s locale decide when given', async () => {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      [
        'Kargom nerede?',
        { body: 'Merhaba, siparişim hâlâ gelmedi. Kargo takip numarası çalışmıyor.' },
        'tr',
        'detected',
      ],
      [
        'Παραγγελία',
        { body: 'Γεια σας, η παραγγελία μου δεν έχει φτάσει ακόμα. Μπορείτε να βοηθήσετε;' },
        'el',
        'detected',
      ],
      [
        'Order',
        { body: 'Hello, my order has not arrived yet and the tracking link does not work.' },
        'en',
        'detected',
      ],
      [
        'Order',
        { body: 'Hello, my order has not arrived yet.', customer: { email: uniqueEmail(), locale: 'tr-TR' } },
        'tr',
        'customer_locale',
      ],
      ['?', { body: 'ok' }, 'en', 'default'],
    ];
    for (const [subject, overrides, language, languageSource] of cases) {
      const created = await intake.createTicket(newTicket({ subject, ...overrides })).expect(201);
      expect({
        subject,
        language: created.body.language,
        languageSource: created.body.languageSource,
      }).toEqual({
        subject,
        language,
        languageSource,
      });
    }
  });

  it('filters by status, assignee, customer, priority, channel and tag, and pages in a stable order', async () => {
    const email = uniqueEmail('lister');
    const tag = `batch-${randomUUID().slice(0, 8)}`;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const created = await intake
        .createTicket(
          newTicket({
            customer: { email },
            channel: i % 2 === 0 ? 'email' : 'chat',
            priority: i < 3 ? 'high' : 'low',
            tags: [tag, `n${i}`],
          }),
        )
        .expect(201);
      made.push(created.body.id);
    }
    await intake.patch(made[0], { status: 'pending' }).expect(200);
    const assignee = randomUUID();
    await intake.db.query('UPDATE tickets SET assignee_id = $1 WHERE id = $2', [assignee, made[1]]);
    const customerId = (await intake.ticket(made[0])).body.customerId as string;

    const list = async (query: string) => {
      const res = await intake.http
        .get(`/v1/tickets?${query}`)
        .set('authorization', bearer('agent'))
        .expect(200);
      return res.body as { items: Array<{ id: string }>; nextCursor: string | null };
    };
    const ids = async (query: string) => (await list(query)).items.map((t) => t.id);
    const newestFirst = [...made].reverse();

    expect(await ids(`tag=${tag}&limit=100`)).toEqual(newestFirst);
    expect(await ids(`tag=${tag}&status=pending`)).toEqual([made[0]]);
    expect(await ids(`tag=${tag}&assigneeId=${assignee}`)).toEqual([made[1]]);
    expect(await ids(`customerId=${customerId}&limit=100`)).toEqual(newestFirst);
    expect(await ids(`tag=${tag}&priority=high`)).toEqual([made[2], made[1], made[0]]);
    expect(await ids(`tag=${tag}&channel=chat`)).toEqual([made[5], made[3], made[1]]);
    expect(await ids(`tag=n4`)).toEqual([made[4]]);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`tag=${tag}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor;
      // A ticket arriving meanwhile lands before page one and never shifts the pages after it.
      await intake.createTicket(newTicket({ tags: [tag] })).expect(201);
    } while (cursor);
    expect(pages).toEqual(newestFirst);

    for (const bad of [
      'status=lost',
      'priority=extreme',
      'channel=fax',
      'limit=0',
      'assigneeId=42',
      'cursor=bm9wZQ',
    ]) {
      const res = await intake.http.get(`/v1/tickets?${bad}`).set('authorization', bearer('agent'));
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
  });

  it('merges two customers: identities and tickets move, the merge is an event, the source points at the target', async () => {
    const byEmail = await intake
      .createTicket(newTicket({ customer: { email: uniqueEmail(), name: 'Maria' } }))
      .expect(201);
    const phone = `+30 210 ${String(Date.now() % 10_000_000).padStart(7, '0')}`;
    const byPhone = await intake
      .createTicket(newTicket({ channel: 'phone', customer: { phone, locale: 'el' } }))
      .expect(201);
    const target = byEmail.body.customerId as string;
    const source = byPhone.body.customerId as string;
    expect(source).not.toBe(target);
    const merge = (into: string, from: string, key: 'admin' | 'agent' | 'otherTenantAdmin') =>
      intake.http
        .post(`/v1/customers/${into}/merge`)
        .set('authorization', bearer(key))
        .send({ sourceCustomerId: from });

    const forbidden = await merge(target, source, 'agent').expect(403);
    expect(forbidden.body.code).toBe('forbidden');

    const merged = await merge(target, source, 'admin').expect(200);
    expect(merged.body).toMatchObject({ id: target, name: 'Maria', locale: 'el', mergedInto: null });
    expect(merged.body.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['email', 'phone']);
    expect(merged.body.tickets.map((t: { id: string }) => t.id).sort()).toEqual(
      [byEmail.body.id, byPhone.body.id].sort(),
    );

    const event = await waitFor(() =>
      intake.probe
        .on(intake.topic(Topic.CustomerEvents))
        .map((m) => m.json<AnyEvent>())
        .find(
          (e): e is EventEnvelope<'customer.merged'> => e.type === 'customer.merged' && e.subject === target,
        ),
    );
    expect(event.data).toMatchObject({
      targetCustomerId: target,
      sourceCustomerId: source,
      movedTicketIds: [byPhone.body.id],
      movedIdentityCount: 1,
    });
    const movedTimeline = (await intake.ticket(byPhone.body.id)).body.timeline as Array<{
      eventType: string;
    }>;
    expect(movedTimeline.map((e) => e.eventType)).toContain('customer.merged');

    const old = await intake.http
      .get(`/v1/customers/${source}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(old.body).toMatchObject({ mergedInto: target, identities: [], tickets: [] });

    // The phone now finds the surviving customer.
    const again = await intake.createTicket(newTicket({ channel: 'phone', customer: { phone } })).expect(201);
    expect(again.body.customerId).toBe(target);

    const twice = await merge(target, source, 'admin').expect(409);
    expect(twice.body.code).toBe('customer_merged');
    const self = await merge(target, target, 'admin').expect(422);
    expect(self.body.code).toBe('merge_into_self');
    await merge(target, randomUUID(), 'admin').expect(404);
    await merge(target, source, 'otherTenantAdmin').expect(404);
  });
});
