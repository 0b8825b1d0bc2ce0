import { randomUUID } from 'node:crypto';
import { type EventEnvelope } from '@app/contracts';
import { bearer, waitFor } from '@app/testing';
import { IntakeHarness, rawEmail, uniqueEmail } from './support/intake-harness';

/** Every channel threads into one conversation per issue, over real Postgres and Kafka. */
describe('conversations across channels', () => {
  let intake: IntakeHarness;

  beforeAll(async () => {
    intake = await IntakeHarness.start({ REOPEN_WINDOW: 'PT3S', INBOUND_EMAIL_MAX_BYTES: '65536' });
  });

  afterAll(() => intake?.stop());

  it('makes the same customer writing by email and then by chat one customer with two tickets', async () => {
    const email = uniqueEmail('ayse');
    const mailed = await intake
      .email(
        rawEmail({
          from: `Ayşe Yılmaz <${email}>`,
          subject: 'Siparişim gelmedi',
          body: 'Merhaba, siparişim hâlâ gelmedi. Kargo takip numarası çalışmıyor.',
        }),
      )
      .expect(201);
    expect(mailed.body).toMatchObject({ outcome: 'created', matchedBy: null });

    const chatted = await intake
      .chat({
        conversationId: `conv-${randomUUID()}`,
        messageId: 'm1',
        visitor: { email: email.toUpperCase(), handle: '@ayse.y' },
        text: 'Faturamda bir hata var, iki kez ücret alınmış.',
      })
      .expect(201);
    expect(chatted.body.outcome).toBe('created');

    const [emailTicket, chatTicket] = await Promise.all([
      intake.ticket(mailed.body.ticketId),
      intake.ticket(chatted.body.ticketId),
    ]);
    expect(emailTicket.body).toMatchObject({
      channel: 'email',
      subject: 'Siparişim gelmedi',
      language: 'tr',
    });
    expect(chatTicket.body).toMatchObject({ channel: 'chat', language: 'tr' });
    expect(chatTicket.body.customerId).toBe(emailTicket.body.customerId);

    const profile = await intake.http
      .get(`/v1/customers/${emailTicket.body.customerId}`)
      .set('authorization', bearer('agent'))
      .expect(200);
    expect(profile.body.name).toBe('Ayşe Yılmaz');
    expect(profile.body.identities).toEqual([
      { kind: 'email', value: email },
      { kind: 'handle', value: '@ayse.y' },
    ]);
    expect(profile.body.tickets.map((t: { id: string; channel: string }) => [t.id, t.channel])).toEqual([
      [chatted.body.ticketId, 'chat'],
      [mailed.body.ticketId, 'email'],
    ]);
  });

  it('joins an email reply to the open ticket by In-Reply-To, keeping only the new text', async () => {
    const email = uniqueEmail();
    const firstId = `<${randomUUID()}@mail.example.com>`;
    const first = await intake
      .email(
        rawEmail({ from: email, subject: 'Printer on fire', body: 'It is on fire.', messageId: firstId }),
      )
      .expect(201);
    const reply = await intake
      .email(
        rawEmail({
          from: email,
          subject: 'Re: Printer on fire',
          body: 'Now it is out.\n\nOn Mon, 1 Jan 2026 at 10:00, Support <support@example.com> wrote:\n> It is on fire.',
          inReplyTo: firstId,
        }),
      )
      .expect(201);
    expect(reply.body).toMatchObject({
      ticketId: first.body.ticketId,
      outcome: 'appended',
      matchedBy: 'email_thread',
    });

    const detail = await intake.ticket(first.body.ticketId);
    expect(
      detail.body.messages.map((m: { author: string; body: string; channel: string }) => [
        m.author,
        m.body,
        m.channel,
      ]),
    ).toEqual([
      ['customer', 'It is on fire.', 'email'],
      ['customer', 'Now it is out.', 'email'],
    ]);
    const added = await waitFor(() => {
      const events = intake.eventsOf(first.body.ticketId);
      return events.length >= 2 && events;
    });
    expect(added.map((e) => [e.type, e.sequence])).toEqual([
      ['ticket.created', 1],
      ['ticket.message.added', 2],
    ]);
    expect(await intake.ticketCount('customer_id = $1', [detail.body.customerId])).toBe(1);
  });

  it('threads by References, and by our reference in the subject only for the ticket’s own customer', async () => {
    const email = uniqueEmail();
    const rootId = `<${randomUUID()}@mail.example.com>`;
    const root = await intake
      .email(rawEmail({ from: email, subject: 'Refund', body: 'Where is my refund?', messageId: rootId }))
      .expect(201);
    const byReferences = await intake
      .email(
        rawEmail({
          from: email,
          subject: 'Re: Refund',
          body: 'Any news?',
          references: `<unknown@x> ${rootId}`,
        }),
      )
      .expect(201);
    expect(byReferences.body).toMatchObject({ ticketId: root.body.ticketId, matchedBy: 'email_thread' });

    const bySubject = await intake
      .email(rawEmail({ from: email, subject: `Re: [${root.body.reference}] Refund`, body: 'Hello again?' }))
      .expect(201);
    expect(bySubject.body).toMatchObject({ ticketId: root.body.ticketId, matchedBy: 'subject_reference' });

    const stranger = await intake
      .email(
        rawEmail({
          from: uniqueEmail('stranger'),
          subject: `Re: [${root.body.reference}] Refund`,
          body: 'Let me in',
        }),
      )
      .expect(201);
    expect(stranger.body.outcome).toBe('created');
    expect(stranger.body.ticketId).not.toBe(root.body.ticketId);
  });

  it('answers a redelivered email with the first result and changes nothing', async () => {
    const email = uniqueEmail();
    const raw = rawEmail({ from: email, subject: 'Once', body: 'Deliver me once please.' });
    const first = await intake.email(raw).expect(201);
    const again = await intake.email(raw).expect(200);
    expect(again.body).toMatchObject({
      ticketId: first.body.ticketId,
      messageId: first.body.messageId,
      outcome: 'duplicate',
    });
    expect((await intake.ticket(first.body.ticketId)).body.messages).toHaveLength(1);
  });

  it('threads inbound messages by threadRef, externalId and ticketId, and opens a ticket for a new thread', async () => {
    const email = uniqueEmail();
    const threadRef = `social-${randomUUID()}`;
    await intake.publishInbound('ticket.message.received', {
      channel: 'social',
      customer: { handle: `@${randomUUID().slice(0, 8)}`, email },
      body: 'Your app crashes when I open settings.',
      threadRef,
    });
    const [opened] = await intake.waitForTicketOf(email);
    await intake.publishInbound('ticket.message.received', {
      channel: 'social',
      customer: { email },
      body: 'Still crashing.',
      threadRef,
    });
    await intake.publishInbound('ticket.message.received', {
      channel: 'api',
      customer: { email },
      body: 'Any update?',
      ticketId: opened.id,
    });
    const messages = await waitFor(async () => {
      const detail = await intake.ticket(opened.id);
      return detail.body.messages.length === 3 && detail.body.messages;
    });
    expect(messages.map((m: { body: string; channel: string }) => [m.channel, m.body])).toEqual([
      ['social', 'Your app crashes when I open settings.'],
      ['social', 'Still crashing.'],
      ['api', 'Any update?'],
    ]);

    const externalId = `crm-${randomUUID()}`;
    const created = await intake
      .createTicket({
        channel: 'web',
        customer: { email },
        subject: 'Web form',
        body: 'From the form',
        externalId,
      })
      .expect(201);
    await intake.publishInbound('ticket.message.received', {
      channel: 'web',
      customer: { email },
      body: 'Adding a detail',
      externalId,
    });
    await waitFor(async () => (await intake.ticket(created.body.id)).body.messages.length === 2, {
      description: 'the message joined by externalId',
    });
    expect(await intake.ticketsOfEmail(email)).toHaveLength(2);
  });

  it('dead-letters a message naming a ticket that does not exist, creating nothing', async () => {
    const email = uniqueEmail();
    const id = await intake.publishInbound('ticket.message.received', {
      channel: 'api',
      customer: { email },
      body: 'For a ticket that is not there',
      ticketId: randomUUID(),
    });
    const letter = await waitFor(() => intake.deadLetters().find((m) => m.json<{ id: string }>().id === id));
    expect(letter.headers['dlq-reason']).toBe('refused');
    expect(letter.headers['dlq-detail']).toContain('ticket_not_found');
    expect(await intake.ticketsOfEmail(email)).toHaveLength(0);
  });

  it('takes a pending ticket back to open when the customer answers', async () => {
    const email = uniqueEmail();
    const chat = { conversationId: `c-${randomUUID()}`, visitor: { email } };
    const first = await intake
      .chat({ ...chat, messageId: '1', text: 'My password reset mail never comes.' })
      .expect(201);
    await intake.patch(first.body.ticketId, { status: 'pending' }).expect(200);
    const answer = await intake
      .chat({ ...chat, messageId: '2', text: 'Checked spam, nothing there.' })
      .expect(201);
    expect(answer.body).toMatchObject({
      ticketId: first.body.ticketId,
      outcome: 'appended',
      matchedBy: 'thread_ref',
    });
    const statusEvents = await waitFor(() => {
      const events = intake
        .eventsOf(first.body.ticketId)
        .filter((e): e is EventEnvelope<'ticket.status.changed'> => e.type === 'ticket.status.changed');
      return events.length === 2 && events;
    });
    expect(statusEvents.map((e) => [e.data.from, e.data.to, e.data.reason])).toEqual([
      ['new', 'pending', 'agent'],
      ['pending', 'open', 'customer_reply'],
    ]);
    const repeated = await intake
      .chat({ ...chat, messageId: '2', text: 'Checked spam, nothing there.' })
      .expect(200);
    expect(repeated.body.outcome).toBe('duplicate');
  });

  it('reopens a solved ticket within the reopen window and opens a linked follow-up after it', async () => {
    const email = uniqueEmail();
    const chat = { conversationId: `c-${randomUUID()}`, visitor: { email } };
    const first = await intake
      .chat({ ...chat, messageId: '1', text: 'The export button does nothing.' })
      .expect(201);
    const ticketId = first.body.ticketId as string;
    await intake.patch(ticketId, { status: 'solved', tags: ['export'] }).expect(200);

    const soon = await intake.chat({ ...chat, messageId: '2', text: 'It broke again.' }).expect(201);
    expect(soon.body).toMatchObject({ ticketId, outcome: 'reopened' });
    expect((await intake.ticket(ticketId)).body).toMatchObject({ status: 'open', solvedAt: null });

    await intake.patch(ticketId, { status: 'solved' }).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const late = await intake.chat({ ...chat, messageId: '3', text: 'And again, a week later.' }).expect(201);
    expect(late.body.outcome).toBe('follow_up');
    const followUp = await intake.ticket(late.body.ticketId);
    expect(followUp.body).toMatchObject({
      followUpOf: ticketId,
      status: 'new',
      tags: ['export'],
      threadRef: chat.conversationId,
    });
    expect((await intake.ticket(ticketId)).body.status).toBe('solved');

    // The old conversation now continues in the follow-up, not in yet another ticket.
    const next = await intake.chat({ ...chat, messageId: '4', text: 'Any news?' }).expect(201);
    expect(next.body).toMatchObject({ ticketId: late.body.ticketId, outcome: 'appended' });
  });

  it('opens a follow-up when a customer writes on a closed ticket', async () => {
    const created = await intake
      .createTicket({
        channel: 'web',
        customer: { email: uniqueEmail() },
        subject: 'Invoice',
        body: 'Need a copy of my invoice',
      })
      .expect(201);
    const note = await intake
      .message(created.body.id, { author: 'customer', body: 'Secret?', internal: true })
      .expect(400);
    expect(note.body.details).toEqual([
      { field: 'internal', message: 'only agent messages take this field' },
    ]);
    await intake.patch(created.body.id, { status: 'solved' }).expect(200);
    await intake.patch(created.body.id, { status: 'closed' }).expect(200);
    const reply = await intake
      .message(created.body.id, { author: 'customer', body: 'One more question' })
      .expect(201);
    expect(reply.body.outcome).toBe('follow_up');
    expect(reply.body.ticketId).not.toBe(created.body.id);
    expect((await intake.ticket(reply.body.ticketId)).body).toMatchObject({
      followUpOf: created.body.id,
      subject: 'Invoice',
      customerId: created.body.customerId,
    });
    const agentOnClosed = await intake
      .message(created.body.id, { author: 'agent', body: 'Too late' })
      .expect(409);
    expect(agentOnClosed.body.code).toBe('ticket_closed');
  });

  it('turns a chatbot escalation into a high-priority ticket carrying the transcript and reason', async () => {
    const email = uniqueEmail();
    await intake.publishInbound('conversation.escalated', {
      channel: 'chat',
      customer: { email, name: 'Nikos' },
      reason: 'customer asked for a human',
      transcript: [
        {
          from: 'customer',
          text: 'Γεια σας, η παραγγελία μου δεν έχει φτάσει ακόμα.',
          at: '2026-11-28T10:00:00Z',
        },
        {
          from: 'bot',
          text: 'I can help with orders. What is your order number?',
          at: '2026-11-28T10:00:05Z',
        },
        { from: 'customer', text: 'Θέλω να μιλήσω με έναν άνθρωπο.', at: '2026-11-28T10:00:30Z' },
      ],
    });
    const [ticket] = await intake.waitForTicketOf(email);
    const detail = await intake.ticket(ticket.id);
    expect(detail.body).toMatchObject({
      priority: 'high',
      channel: 'chat',
      escalationReason: 'customer asked for a human',
      subject: 'Chatbot handover: customer asked for a human',
      language: 'el',
      languageSource: 'detected',
    });
    expect(
      detail.body.messages.map((m: { author: string; createdAt: string }) => [m.author, m.createdAt]),
    ).toEqual([
      ['customer', '2026-11-28T10:00:00.000Z'],
      ['bot', '2026-11-28T10:00:05.000Z'],
      ['customer', '2026-11-28T10:00:30.000Z'],
    ]);
    const [created] = await waitFor(() => {
      const events = intake.eventsOf(ticket.id);
      return events.length > 0 && events;
    });
    expect(created).toMatchObject({
      type: 'ticket.created',
      data: { priority: 'high', escalationReason: 'customer asked for a human' },
    });
  });

  it('refuses bad email input with a clear 4xx and creates nothing', async () => {
    const before = await intake.ticketCount();
    const notMime = await intake.email(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a, 0x0d])).expect(400);
    expect(notMime.body.code).toBe('malformed_email');
    const noSender = await intake
      .email(rawEmail({ from: 'not an address', subject: 'x', body: 'y' }))
      .expect(422);
    expect(noSender.body.code).toBe('invalid_sender');
    const json = await intake.http
      .post('/v1/channels/email')
      .set('authorization', bearer('publisher'))
      .send({ raw: 'From: a@example.com' })
      .expect(415);
    expect(json.body.code).toBe('unsupported_media_type');
    const huge = await intake
      .email(rawEmail({ from: uniqueEmail(), subject: 'big', body: 'x'.repeat(70_000) }))
      .expect(413);
    expect(huge.body.code).toBe('payload_too_large');
    const agentKey = await intake.http
      .post('/v1/channels/email')
      .set('authorization', bearer('agent'))
      .set('content-type', 'message/rfc822')
      .send(rawEmail({ from: uniqueEmail(), subject: 's', body: 'b' }))
      .expect(403);
    expect(agentKey.body.code).toBe('forbidden');
    const badChat = await intake
      .chat({ conversationId: 'c', messageId: 'm', visitor: { email: 'nope' }, text: 'hi', extra: 1 })
      .expect(400);
    expect(badChat.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'extra',
      'visitor.email',
    ]);
    expect(await intake.ticketCount()).toBe(before);
  });

  it('acknowledges auto-replies without opening tickets, so two autoresponders cannot loop', async () => {
    const email = uniqueEmail();
    const outOfOffice = await intake
      .email(
        rawEmail({
          from: email,
          subject: 'Out of office',
          body: 'I am away until Monday.',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      )
      .expect(202);
    expect(outOfOffice.body).toEqual({ outcome: 'ignored', reason: 'auto-submitted: auto-replied' });
    expect(await intake.ticketsOfEmail(email)).toHaveLength(0);
  });
});
