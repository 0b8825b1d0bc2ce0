import { createHash } from 'node:crypto';
import { HttpStatus } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { type AddressObject, simpleParser } from 'mailparser';
import { ApiError } from '@app/http';
import { type CustomerMessage } from '../conversations/conversation.handler';
import { normaliseMessageId } from '../conversations/message-id';

export type ParsedEmail =
  | { kind: 'message'; message: CustomerMessage }
  /** Out-of-office replies and bounces: answering them would start a mail loop. */
  | { kind: 'automatic'; reason: string };

/** A header name first, optionally after the mbox "From " line some gateways keep. */
const STARTS_WITH_HEADER = /^(From \S[^\n]*\n)?[A-Za-z][A-Za-z0-9-]*:/;

/**
 * An RFC 822 message from an inbound-email webhook as a customer message: sender, subject, the
 * new text of the reply (without the quoted history), Message-ID and the thread headers.
 */
export async function parseInboundEmail(raw: Buffer): Promise<ParsedEmail> {
  if (!STARTS_WITH_HEADER.test(raw.subarray(0, 1000).toString('latin1'))) {
    throw malformed('the body does not start with RFC 822 headers');
  }
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });

  const automatic = automaticReason(mail.headers);
  if (automatic) return { kind: 'automatic', reason: automatic };

  const sender = firstAddress(mail.from);
  if (!sender?.address || !isEmail(sender.address)) {
    throw new ApiError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'invalid_sender',
      'From must hold a valid email address',
    );
  }
  const text = (mail.text ?? '').replace(/\r\n/g, '\n');
  const body = latestReply(text) || text.trim();
  const subject = mail.subject?.trim();
  if (!body && !subject) {
    throw new ApiError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'empty_message',
      'The message has neither text nor subject',
    );
  }
  const references = typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []);
  return {
    kind: 'message',
    message: {
      channel: 'email',
      customer: { email: sender.address, ...(sender.name ? { name: sender.name.slice(0, 200) } : {}) },
      subject: subject ? subject.slice(0, 300) : undefined,
      body: (body || subject || '').slice(0, 64 * 1024),
      // Without a Message-ID, the content itself identifies a redelivery of the same message.
      messageId: normaliseMessageId(
        mail.messageId ?? `sha256-${createHash('sha256').update(raw).digest('hex')}@inbound.invalid`,
      ),
      replyTo: [mail.inReplyTo, ...[...references].reverse()]
        .filter((id): id is string => Boolean(id))
        .flatMap((ids) => ids.split(/\s+/))
        .filter(Boolean)
        .map(normaliseMessageId),
    },
  };
}

function malformed(detail: string): ApiError {
  return new ApiError(HttpStatus.BAD_REQUEST, 'malformed_email', `Not an RFC 822 message: ${detail}`);
}

function firstAddress(from: AddressObject | undefined) {
  return from?.value.find((entry) => entry.address);
}

/** RFC 3834 Auto-Submitted, and the Precedence values mailing lists and autoresponders use. */
function automaticReason(headers: Map<string, unknown>): string | undefined {
  const header = (name: string) => {
    const value = headers.get(name);
    return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  };
  const autoSubmitted = header('auto-submitted') ?? 'no';
  if (autoSubmitted !== 'no') return `auto-submitted: ${autoSubmitted.slice(0, 50)}`;
  const precedence = header('precedence') ?? '';
  if (['bulk', 'junk', 'auto_reply'].includes(precedence)) return `precedence: ${precedence}`;
  return undefined;
}

const QUOTE_HEADER = [
  /^On .{1,300} wrote:\s*$/,
  /^-{2,}\s*Original Message\s*-{2,}/i,
  /^#+-? ?Please type your reply above this line/i,
  /^From: .+$/,
];

/** The new part of a reply: everything above the quoted history most mail clients append. */
export function latestReply(text: string): string {
  const lines = text.split('\n');
  const cut = lines.findIndex((line) => QUOTE_HEADER.some((pattern) => pattern.test(line.trim())));
  const kept = cut === -1 ? lines : lines.slice(0, cut);
  while (kept.length > 0 && (kept[kept.length - 1].trim() === '' || kept[kept.length - 1].startsWith('>'))) {
    kept.pop();
  }
  return kept.join('\n').trim();
}
