import { ApiError } from '@app/http';
import { latestReply, parseInboundEmail } from './inbound-email';

const mail = (headers: string, body: string) =>
  Buffer.from(`${headers.trim().replace(/\n/g, '\r\n')}\r\n\r\n${body}`);

describe('inbound email', () => {
  it('reads sender, subject, text and the thread headers', async () => {
    const parsed = await parseInboundEmail(
      mail(
        `
From: =?UTF-8?B?QXnFn2UgWcSxbG1heg==?= <Ayse@Example.com>
To: support@example.com
Subject: =?UTF-8?Q?Re:_Sipari=C5=9F?=
Message-ID: <m2@mail.example.com>
In-Reply-To: <m1@mail.example.com>
References: <m0@mail.example.com> <m1@mail.example.com>
Content-Type: text/plain; charset=utf-8`,
        'Kargo nerede?\r\n',
      ),
    );
    expect(parsed).toEqual({
      kind: 'message',
      message: {
        channel: 'email',
        customer: { email: 'Ayse@Example.com', name: 'Ayşe Yılmaz' },
        subject: 'Re: Sipariş',
        body: 'Kargo nerede?',
        messageId: 'm2@mail.example.com',
        replyTo: ['m1@mail.example.com', 'm1@mail.example.com', 'm0@mail.example.com'],
      },
    });
  });

  it('identifies a message without Message-ID by its content, so a redelivery is recognised', async () => {
    const raw = mail('From: a@example.com\nSubject: hi', 'hello there');
    const [first, second] = await Promise.all([parseInboundEmail(raw), parseInboundEmail(Buffer.from(raw))]);
    expect(first.kind === 'message' && first.message.messageId).toMatch(
      /^sha256-[0-9a-f]{64}@inbound\.invalid$/,
    );
    expect(second).toEqual(first);
  });

  it.each([
    ['Auto-Submitted: auto-replied', 'auto-submitted: auto-replied'],
    ['Precedence: bulk', 'precedence: bulk'],
  ])('drops automatic mail (%s)', async (header, reason) => {
    const parsed = await parseInboundEmail(
      mail(`From: a@example.com\nSubject: away\n${header}`, 'I am away'),
    );
    expect(parsed).toEqual({ kind: 'automatic', reason });
  });

  it.each([
    ['binary garbage', Buffer.from([0, 1, 2, 3, 255]), 'malformed_email'],
    ['JSON', Buffer.from('{"from":"a@example.com"}'), 'malformed_email'],
    ['a sender without an address', mail('From: Support Team\nSubject: x', 'y'), 'invalid_sender'],
    ['no sender at all', mail('Subject: x', 'y'), 'invalid_sender'],
    ['neither text nor subject', mail('From: a@example.com', ''), 'empty_message'],
  ])('refuses %s', async (_, raw, code) => {
    const error = await parseInboundEmail(raw).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(code);
  });

  describe('the new part of a reply', () => {
    it.each([
      ['Thanks!\n\nOn Mon, 2 Mar 2026, Support <s@example.com> wrote:\n> old text', 'Thanks!'],
      ['Fixed now.\n-----Original Message-----\nFrom: x', 'Fixed now.'],
      ['Yes\n> quoted\n> more', 'Yes'],
      ['Line one\n> inline quote\nmy answer', 'Line one\n> inline quote\nmy answer'],
    ])('of %j is %j', (text, expected) => {
      expect(latestReply(text)).toBe(expected);
    });
  });
});
