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

/**
 * What one inbound email may cost to parse. Real mail has a few dozen parts and headers of some
 * tens of KB; converting HTML to text takes about 0.4 ms per KB on the event loop.
 */
export const EMAIL_LIMITS = {
  /** Bytes of header block per MIME part. */
  headerBytes: 256 * 1024,
  /** MIME parts of one message. */
  parts: 250,
  /** Characters of an HTML part converted to text; a longer HTML-only message is refused. */
  htmlToText: 256 * 1024,
  /** The nearest References kept for threading; older ones add nothing once the nearest miss. */
  references: 100,
} as const;

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
  const mail = await simpleParser(raw, {
    skipImageLinks: true,
    skipTextLinks: true,
    skipTextToHtml: true,
    maxHeadSize: EMAIL_LIMITS.headerBytes,
    maxChildNodes: EMAIL_LIMITS.parts,
    maxHtmlLengthToParse: EMAIL_LIMITS.htmlToText,
  }).catch((error: unknown) => {
    throw tooLarge(error) ?? error;
  });

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
  if (!mail.text && mail.textConversionError) {
    throw new ApiError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'email_html_too_large',
      `The message has no plain text and its HTML is longer than ${EMAIL_LIMITS.htmlToText} characters or nested too deep`,
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
  const references = (
    typeof mail.references === 'string' ? [mail.references] : (mail.references ?? [])
  ).flatMap(splitIds);
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
      replyTo: [
        ...splitIds(mail.inReplyTo ?? '').map((id) => normaliseMessageId(id, 'In-Reply-To')),
        ...references
          .slice(-EMAIL_LIMITS.references)
          .reverse()
          .map((id) => normaliseMessageId(id, 'References')),
      ],
    },
  };
}

/** In-Reply-To and References hold Message-IDs separated by whitespace. */
function splitIds(header: string): string[] {
  return header.split(/\s+/).filter(Boolean);
}

/** mailparser's limits (EMAXLEN) are the sender's fault: a 413 with the limit that was hit. */
function tooLarge(error: unknown): ApiError | undefined {
  if ((error as { code?: unknown })?.code !== 'EMAXLEN') return undefined;
  const message = error instanceof Error ? error.message : '';
  if (/child nodes/i.test(message)) {
    return new ApiError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'email_too_many_parts',
      `The message has more than ${EMAIL_LIMITS.parts} MIME parts`,
    );
  }
  return new ApiError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'email_header_too_large',
    `A header block of the message is larger than ${EMAIL_LIMITS.headerBytes} bytes`,
  );
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
