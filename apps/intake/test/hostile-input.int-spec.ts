import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { bearer, waitFor } from '@app/testing';
import { chatMessageKey } from '../src/conversations/message-id';
import { ChatMessageKeys1764750000000 } from '../src/database/migrations/1764750000000-chat-message-keys';
import { IntakeHarness, rawEmail, uniqueEmail } from './support/intake-harness';

/** A JSON document nested `depth` levels deep: `{"a":{"a":...1...}}`. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Runs `work` and reports the longest the event loop was blocked meanwhile, in milliseconds. */
async function longestBlock<T>(work: () => Promise<T>): Promise<{ result: T; blockedMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await work();
    return { result, blockedMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

/**
 * Starts a request that announces `announcedBytes` but sends only `firstChunk`, and resolves with
 * the response if the server answers before the body is complete; `undefined` after `waitMs`.
 */
function answerBeforeBodyEnds(
  server: Server,
  options: { path: string; headers: Record<string, string>; announcedBytes: number; firstChunk: Buffer },
  waitMs = 3000,
): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: options.path,
      headers: { ...options.headers, 'content-length': String(options.announcedBytes) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(undefined);
    }, waitMs);
    req.on('response', (response: IncomingMessage) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', (error) => {
      // Our own destroy() after the answer or the timeout; anything else fails the test.
      if (!req.destroyed) reject(error);
    });
    req.write(options.firstChunk);
  });
}

describe('hostile input', () => {
  let intake: IntakeHarness;
  let server: Server;

  beforeAll(async () => {
    intake = await IntakeHarness.start();
    server = intake.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => intake?.stop());

  describe('email', () => {
    it('refuses a 100 KB Message-ID or In-Reply-To of ">" at once, without blocking the event loop', async () => {
      const email = uniqueEmail('redos');
      const run = '>'.repeat(100_000);
      const { result, blockedMs } = await longestBlock(() =>
        Promise.all([
          intake.email(rawEmail({ from: email, subject: 'a', body: 'x', messageId: `<${run}x` })),
          intake.email(rawEmail({ from: email, subject: 'b', body: 'y', inReplyTo: `<${run}x` })),
          intake.email(rawEmail({ from: email, subject: 'c', body: 'z', references: `<a@b> <${run}x` })),
        ]),
      );
      expect(result.map((response) => [response.status, response.body.code])).toEqual([
        [400, 'message_id_too_long'],
        [400, 'message_id_too_long'],
        [400, 'message_id_too_long'],
      ]);
      expect(result.map((response) => response.body.message as string)).toEqual([
        expect.stringContaining('Message-ID'),
        expect.stringContaining('In-Reply-To'),
        expect.stringContaining('References'),
      ]);
      // The backtracking normaliser blocked for seconds; a generous bound for a busy test machine.
      expect(blockedMs).toBeLessThan(500);
      expect(await intake.ticketsOfEmail(email)).toHaveLength(0);
    });

    it('threads by a 998-character Message-ID of ">" quickly, and refuses a 6,000-character one with a 4xx', async () => {
      const email = uniqueEmail('long-id');
      const longest = `${'>'.repeat(980)}@example`;
      const { result: first, blockedMs } = await longestBlock(() =>
        intake.email(rawEmail({ from: email, subject: 'Long id', body: 'first', messageId: `<${longest}>` })),
      );
      expect(first.status).toBe(201);
      expect(blockedMs).toBeLessThan(500);
      const reply = await intake
        .email(rawEmail({ from: email, subject: 'Re: x', body: 'second', inReplyTo: `<${longest}>` }))
        .expect(201);
      expect(reply.body).toMatchObject({ ticketId: first.body.ticketId, matchedBy: 'email_thread' });

      const tooLong = await intake.email(
        rawEmail({ from: email, subject: 'Huge id', body: 'x', messageId: `<${'a'.repeat(6000)}@example>` }),
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.code).toBe('message_id_too_long');
      expect(await intake.ticketsOfEmail(email)).toHaveLength(1);
    });

    it('refuses an 8.7 MB HTML-only email with 413 without converting it on the event loop', async () => {
      const email = uniqueEmail('html');
      const html = `<html><body>${'<p>hello <b>world</b></p>'.repeat(350_000)}</body></html>`;
      const raw = rawEmail({
        from: email,
        body: html,
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
      });
      const { result, blockedMs } = await longestBlock(() => intake.email(raw));
      expect(result.status).toBe(413);
      expect(result.body.code).toBe('email_html_too_large');
      // Converting it took over 2 s of one uninterrupted task.
      expect(blockedMs).toBeLessThan(1000);
      expect(await intake.ticketsOfEmail(email)).toHaveLength(0);
    });

    it('still reads a modest HTML-only email', async () => {
      const email = uniqueEmail('html-ok');
      const response = await intake
        .email(
          rawEmail({
            from: email,
            subject: 'Styled',
            body: '<html><body><p>My <b>invoice</b> is wrong.</p></body></html>',
            headers: { 'Content-Type': 'text/html; charset=utf-8' },
          }),
        )
        .expect(201);
      const ticket = await intake.ticket(response.body.ticketId as string);
      expect(ticket.body.messages[0].body).toContain('invoice');
    });

    it('refuses 1,200 MIME parts and a 1.2 MB header with 413 and a stable code', async () => {
      const email = uniqueEmail('mime');
      const parts = Array.from(
        { length: 1200 },
        (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`,
      ).join('');
      const manyParts = await intake.email(
        rawEmail({
          from: email,
          subject: 'Parts',
          body: `${parts}--b--`,
          headers: { 'Content-Type': 'multipart/mixed; boundary=b' },
        }),
      );
      expect([manyParts.status, manyParts.body.code]).toEqual([413, 'email_too_many_parts']);

      const bigHeader = await intake.email(
        rawEmail({
          from: email,
          subject: 'Header',
          body: 'x',
          headers: { 'X-Padding': 'a'.repeat(1_200_000) },
        }),
      );
      expect([bigHeader.status, bigHeader.body.code]).toEqual([413, 'email_header_too_large']);
      expect(await intake.ticketsOfEmail(email)).toHaveLength(0);
    });
  });

  describe('deep JSON', () => {
    it('refuses a body nested 5,000 levels deep on POST /v1/tickets with 400 body_too_deep', async () => {
      const deep = nested(5000);
      const response = await intake.http
        .post('/v1/tickets')
        .set('authorization', bearer('publisher'))
        .set('content-type', 'application/json')
        .send(deep);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('body_too_deep');

      // 33 levels are refused; 32 reach validation, and a normal ticket (two levels) is created.
      const justPast = await intake.http
        .post('/v1/tickets')
        .set('authorization', bearer('publisher'))
        .set('content-type', 'application/json')
        .send(`{"channel":"api","customer":{"email":"a@example.com"},"x":${nested(32)}}`);
      expect(justPast.body.code).toBe('body_too_deep');
      const atLimit = await intake.http
        .post('/v1/tickets')
        .set('authorization', bearer('publisher'))
        .set('content-type', 'application/json')
        .send(`{"channel":"api","customer":{"email":"a@example.com"},"x":${nested(31)}}`);
      expect(atLimit.status).toBe(400);
      expect(atLimit.body.code).toBe('validation_failed');

      // Brackets inside strings are text, not nesting.
      await intake
        .createTicket({
          channel: 'api',
          customer: { email: uniqueEmail('brackets') },
          subject: '[[[[',
          body: '{'.repeat(100),
        })
        .expect(201);
    });
  });

  describe('input Postgres cannot store, or the handler cannot read', () => {
    const chatMessage = (overrides: Record<string, unknown>) => ({
      conversationId: `chat-${randomUUID()}`,
      messageId: 'm1',
      visitor: { email: uniqueEmail('nul') },
      text: 'Hello',
      ...overrides,
    });

    it('refuses a NUL character anywhere in a body with 400 naming the field, not a 500 at the INSERT', async () => {
      const inText = await intake.chat(chatMessage({ text: 'Hel\u0000lo' }));
      expect(inText.status).toBe(400);
      expect(inText.body).toMatchObject({
        code: 'validation_failed',
        details: [{ field: 'text', message: 'text must not contain NUL characters' }],
      });
      const nested = await intake.chat(chatMessage({ visitor: { email: 'a@example.com', name: 'A\u0000' } }));
      expect([nested.status, nested.body.details]).toEqual([
        400,
        [{ field: 'visitor.name', message: 'visitor.name must not contain NUL characters' }],
      ]);
      await intake.chat(chatMessage({})).expect(201);
    });

    it('refuses a NUL character in a query string with 400 naming the parameter', async () => {
      const response = await intake.http
        .get('/v1/tickets?cursor=a%00b')
        .set('authorization', bearer('agent'));
      expect([response.status, response.body.details?.[0]?.field]).toEqual([400, 'cursor']);
    });

    it('refuses a chat message without visitor and a ticket without customer with 400 naming the field', async () => {
      const chat = await intake.chat(chatMessage({ visitor: undefined }));
      expect(chat.status).toBe(400);
      expect(chat.body.details).toContainEqual(expect.objectContaining({ field: 'visitor' }));
      const ticket = await intake.createTicket({ channel: 'api', subject: 'Hi', body: 'Help' });
      expect(ticket.status).toBe(400);
      expect(ticket.body.details).toContainEqual(expect.objectContaining({ field: 'customer' }));
    });
  });

  describe('the OpenAPI document', () => {
    it('states the platform errors, id formats and the validators’ rules the routes apply', async () => {
      const { body: document } = await intake.http.get('/docs-json').expect(200);
      const detail = document.paths['/v1/tickets/{id}'].get;
      expect(Object.keys(detail.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '403', '404', '503']),
      );
      expect(detail.responses['401'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/ApiErrorBody',
      });
      expect(detail.parameters).toContainEqual(
        expect.objectContaining({
          name: 'id',
          in: 'path',
          schema: expect.objectContaining({ format: 'uuid' }),
        }),
      );
      const chat = document.components.schemas.ChatMessageDto;
      expect(chat.additionalProperties).toBe(false);
      expect(chat.properties.messageId).toMatchObject({ minLength: 1, maxLength: 200 });
      expect(document.components.schemas.CustomerDto.properties.phone.pattern).toBe('^\\+?[0-9 ()-]{5,32}$');
      // Public routes need no key, so they document no 401.
      expect(document.paths['/health/ready'].get.responses['401']).toBeUndefined();
    });
  });

  describe('authentication before the body', () => {
    it('answers 401 to an unauthenticated 10 MB email before the client has sent it', async () => {
      const answer = await answerBeforeBodyEnds(server, {
        path: '/v1/channels/email',
        headers: { 'content-type': 'message/rfc822' },
        announcedBytes: 10 * 1024 * 1024 - 1,
        firstChunk: Buffer.from(`From: a@example.com\r\nSubject: x\r\n\r\n${'y'.repeat(64 * 1024)}`),
      });
      expect(answer).toEqual({ status: 401, body: expect.objectContaining({ code: 'unauthorized' }) });

      const unknownKey = await answerBeforeBodyEnds(server, {
        path: '/v1/tickets',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-key-we-know-of' },
        announcedBytes: 200 * 1024,
        firstChunk: Buffer.from('{"channel":"api",'),
      });
      expect(unknownKey).toEqual({ status: 401, body: expect.objectContaining({ code: 'unauthorized' }) });
    });

    it('waits for the body of an authenticated caller, which is what the 401 above did not do', async () => {
      const answer = await answerBeforeBodyEnds(
        server,
        {
          path: '/v1/tickets',
          headers: { 'content-type': 'application/json', authorization: bearer('publisher') },
          announcedBytes: 200 * 1024,
          firstChunk: Buffer.from('{"channel":"api",'),
        },
        500,
      );
      expect(answer).toBeUndefined();
    });
  });

  describe('cursors', () => {
    it.each([
      ['a timestamp that is not a time', { createdAt: 'yesterday', id: randomUUID() }],
      ['an id that is not a UUID', { createdAt: new Date().toISOString(), id: 'x' }],
      ['a number for a time', { createdAt: 12, id: randomUUID() }],
      ['null', null],
    ])('refuses %s with 400 invalid_cursor', async (_, cursor) => {
      const response = await intake.http
        .get('/v1/tickets')
        .query({ cursor: Buffer.from(JSON.stringify(cursor)).toString('base64url') })
        .set('authorization', bearer('agent'));
      expect([response.status, response.body.code]).toEqual([400, 'invalid_cursor']);
    });

    it('still pages with the cursors it issues', async () => {
      const email = uniqueEmail('pages');
      for (const subject of ['one', 'two']) {
        await intake
          .createTicket({ channel: 'api', customer: { email }, subject, body: subject })
          .expect(201);
      }
      const first = await intake.http
        .get('/v1/tickets?limit=1')
        .set('authorization', bearer('agent'))
        .expect(200);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      await intake.http
        .get('/v1/tickets')
        .query({ limit: 1, cursor: first.body.nextCursor as string })
        .set('authorization', bearer('agent'))
        .expect(200);
    });
  });

  describe('roles', () => {
    it('lets a publisher post customer messages only', async () => {
      const ticket = await intake
        .createTicket({ channel: 'api', customer: { email: uniqueEmail('roles') }, subject: 's', body: 'b' })
        .expect(201);
      const id = ticket.body.id as string;
      const asPublisher = (body: Record<string, unknown>) =>
        intake.http.post(`/v1/tickets/${id}/messages`).set('authorization', bearer('publisher')).send(body);

      const forged = await asPublisher({ author: 'agent', agentId: 'agent-7', body: 'We refunded you.' });
      expect(forged.status).toBe(403);
      expect(forged.body).toMatchObject({
        code: 'author_not_allowed',
        details: [{ field: 'author', message: expect.any(String) }],
      });
      await asPublisher({ author: 'customer', body: 'Any news?' }).expect(201);
      await intake.message(id, { author: 'agent', agentId: 'agent-7', body: 'On it.' }).expect(201);

      const detail = await intake.ticket(id);
      expect(detail.body.messages.map((m: { author: string; body: string }) => [m.author, m.body])).toEqual([
        ['customer', 'b'],
        ['customer', 'Any news?'],
        ['agent', 'On it.'],
      ]);
    });

    it('dead-letters an agent-authored ticket.message.received and adds nothing', async () => {
      const email = uniqueEmail('forged');
      const ticket = await intake
        .createTicket({ channel: 'api', customer: { email }, subject: 's', body: 'b' })
        .expect(201);
      const id = await intake.publishInbound('ticket.message.received', {
        channel: 'api',
        customer: { email },
        ticketId: ticket.body.id,
        body: 'We refunded you.',
        author: 'agent',
        agentId: 'agent-7',
      });
      const letter = await waitFor(() =>
        intake.deadLetters().find((m) => m.json<{ id: string }>().id === id),
      );
      // The inbound contract has no author: every inbound message is the customer's.
      expect(letter.headers['dlq-reason']).toBe('invalid_data');
      expect(letter.headers['dlq-detail']).toContain('unrecognized_keys');
      const detail = await intake.ticket(ticket.body.id as string);
      expect(detail.body.messages).toHaveLength(1);
    });
  });

  describe('threads', () => {
    it('opens a new ticket for a stranger whose In-Reply-To names another customer’s message', async () => {
      const owner = uniqueEmail('owner');
      const stranger = uniqueEmail('stranger');
      const messageId = `${randomUUID()}@mail.example.com`;
      const first = await intake
        .email(
          rawEmail({ from: owner, subject: 'My order', body: 'Where is it?', messageId: `<${messageId}>` }),
        )
        .expect(201);

      const intrusion = await intake
        .email(
          rawEmail({
            from: stranger,
            subject: 'Re: My order',
            body: 'Cancel it',
            inReplyTo: `<${messageId}>`,
          }),
        )
        .expect(201);
      expect(intrusion.body.outcome).toBe('created');
      expect(intrusion.body.ticketId).not.toBe(first.body.ticketId);

      const ownReply = await intake
        .email(
          rawEmail({
            from: owner,
            subject: 'Re: My order',
            body: 'Still waiting',
            inReplyTo: `<${messageId}>`,
          }),
        )
        .expect(201);
      expect(ownReply.body).toMatchObject({ ticketId: first.body.ticketId, matchedBy: 'email_thread' });
      const original = await intake.ticket(first.body.ticketId as string);
      expect(original.body.messages.map((m: { body: string }) => m.body)).toEqual([
        'Where is it?',
        'Still waiting',
      ]);
    });

    it('answers another sender reusing a Message-ID with 409, without naming the ticket', async () => {
      const owner = uniqueEmail('first');
      const other = uniqueEmail('second');
      const messageId = `<${randomUUID()}@mail.example.com>`;
      const first = await intake
        .email(rawEmail({ from: owner, subject: 'Mine', body: 'mine', messageId }))
        .expect(201);
      const reused = await intake.email(
        rawEmail({ from: other, subject: 'Theirs', body: 'theirs', messageId }),
      );
      expect(reused.status).toBe(409);
      expect(reused.body.code).toBe('message_id_conflict');
      expect(JSON.stringify(reused.body)).not.toContain(first.body.ticketId as string);
      expect(JSON.stringify(reused.body)).not.toContain(first.body.reference as string);
      expect(await intake.ticketsOfEmail(other)).toHaveLength(0);
      // The owner's redelivery is still the duplicate it always was.
      const again = await intake
        .email(rawEmail({ from: owner, subject: 'Mine', body: 'mine', messageId }))
        .expect(200);
      expect(again.body).toMatchObject({ ticketId: first.body.ticketId, outcome: 'duplicate' });
    });

    it('keeps the idempotency keys of chat and email apart', async () => {
      const tag = randomUUID().slice(0, 8);
      const email = uniqueEmail('keys');
      const chat = (conversationId: string, messageId: string) =>
        intake.chat({
          conversationId,
          messageId,
          visitor: { email },
          text: `${conversationId} / ${messageId}`,
        });

      const a = await chat(`${tag}:a`, '1').expect(201);
      const b = await chat(tag, 'a:1').expect(201);
      const fromEmail = await intake
        .email(rawEmail({ from: email, subject: 'Mail', body: 'mail', messageId: `<chat:${tag}:a:1>` }))
        .expect(201);
      const lookalike = await intake
        .email(
          rawEmail({
            from: email,
            subject: 'Mail 2',
            body: 'mail 2',
            messageId: `<<chat>${tag.length + 2}:${tag}:a:1>`,
          }),
        )
        .expect(201);
      const tickets = [a, b, fromEmail, lookalike].map((response) => response.body.ticketId as string);
      expect([a, b, fromEmail, lookalike].map((response) => response.body.outcome)).toEqual([
        'created',
        'created',
        'created',
        'created',
      ]);
      expect(new Set(tickets).size).toBe(4);
      // Each key still deduplicates its own message.
      const again = await chat(`${tag}:a`, '1').expect(200);
      expect(again.body).toMatchObject({ ticketId: a.body.ticketId, outcome: 'duplicate' });
    });

    it('moves chat messages stored under the old key to the new one, still recognised in their conversation', async () => {
      const email = uniqueEmail('legacy');
      const tag = `legacy-${randomUUID().slice(0, 8)}`;
      const chat = (conversationId: string, messageId: string) =>
        intake.chat({ conversationId, messageId, visitor: { email }, text: 'Hello' });
      const first = await chat(`${tag}:a`, '1').expect(201);
      // As the row was written before keys were length-prefixed.
      await intake.db.query(`UPDATE messages SET external_message_id = $1 WHERE id = $2`, [
        `chat:${tag}:a:1`,
        first.body.messageId,
      ]);
      const runner = intake.db.createQueryRunner();
      try {
        await new ChatMessageKeys1764750000000().up(runner);
      } finally {
        await runner.release();
      }
      const [row] = await intake.db.query<Array<{ key: string }>>(
        'SELECT external_message_id AS key FROM messages WHERE id = $1',
        [first.body.messageId],
      );
      expect(row.key).toBe(chatMessageKey(`${tag}:a`, '1'));

      const redelivered = await chat(`${tag}:a`, '1').expect(200);
      expect(redelivered.body).toMatchObject({ ticketId: first.body.ticketId, outcome: 'duplicate' });
      expect((await chat(tag, 'a:1').expect(201)).body.outcome).toBe('created');
      const viaEmail = await intake
        .email(rawEmail({ from: email, subject: 'x', body: 'y', messageId: `<chat:${tag}:a:1>` }))
        .expect(201);
      expect(viaEmail.body.outcome).toBe('created');
    });
  });
});
