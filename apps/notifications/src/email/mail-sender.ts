import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { connect, type Socket } from 'node:net';
import { createTransport, type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { HealthService, inSpan, SpanKind } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';

export interface OutgoingMail {
  /** The delivery id: the Message-ID, so a resent copy is recognisably the same message (R5). */
  deliveryId: string;
  to: string;
  subject: string;
  text: string;
}

/** nodemailer's pool knows `maxRequeues`; its type definitions do not. */
type PoolOptions = SMTPPool.Options & { maxRequeues: number };

/** The pool `SMTP_URL` and the pool settings describe; options the URL carries (`?name=`) still count. */
export function mailPoolOptions(config: Pick<NotificationsConfig, 'smtp' | 'mailPool'>): PoolOptions {
  return {
    ...parseConnectionUrl(config.smtp.url),
    pool: true,
    maxConnections: config.mailPool.maxConnections,
    maxMessages: config.mailPool.maxMessages,
    // A message whose connection closed under it may have arrived: the pool must not quietly send
    // it again on another connection. The failure goes back to the worker, and so to the ledger.
    maxRequeues: 0,
    getSocket: connectWithoutDelay,
  };
}

/**
 * nodemailer writes a message in several small segments. With Nagle's algorithm on, the last one
 * waits for the server's delayed ACK, about 40 ms on Linux, so every message took that long. The
 * pool gets plain TCP connections without it; nodemailer still runs TLS (smtps, STARTTLS) over them.
 *
 * The socket is handed over before it has connected, so nodemailer owns every failure of it (its
 * connection timeout included). A refused connection reported through the callback instead would
 * never free its pool slot (nodemailer's pool drops a resource only on the connection's own
 * 'error'): after `maxConnections` refusals the pool would hold every message forever.
 */
export function connectWithoutDelay(
  options: SMTPConnection.Options,
  callback: (error: Error | null, socket: { connection: Socket } | false) => void,
): void {
  const socket = connect({
    host: options.host ?? 'localhost',
    // nodemailer's own defaults when the URL names no port.
    port: Number(options.port) || (options.secure ? 465 : 587),
    localAddress: options.localAddress,
    noDelay: true,
    keepAlive: true,
  });
  callback(null, { connection: socket });
}

/** SMTP through nodemailer, configured by `SMTP_URL`, over a pool of kept-open connections. */
@Injectable()
export class MailSender implements OnModuleInit, OnApplicationShutdown {
  private readonly transporter: Transporter<SMTPPool.SentMessageInfo>;
  /** Where mail goes, as a send span names it: host and port, never the URL's credentials. */
  private readonly server: { 'server.address': string; 'server.port': number };
  private closed = false;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly health: HealthService,
  ) {
    const options = mailPoolOptions(config);
    this.transporter = createTransport(options);
    this.server = {
      'server.address': options.host ?? 'localhost',
      'server.port': Number(options.port ?? 25),
    };
  }

  onModuleInit(): void {
    // Deliveries wait and retry while the relay is away; the API and the consumers work on.
    this.health.register(
      'smtp',
      async () => {
        await this.transporter.verify();
      },
      { required: false },
    );
  }

  /**
   * Not in onModuleDestroy: the delivery worker drains its jobs there, and a pool closed under
   * them would never answer their sends (nodemailer drops mail handed to a closed pool).
   */
  onApplicationShutdown(): void {
    this.closed = true;
    this.transporter.close();
  }

  async send(mail: OutgoingMail): Promise<void> {
    // Refused rather than left waiting forever: the worker puts the delivery back to pending.
    if (this.closed) throw new Error('The SMTP connection pool is closed');
    // No address or content on the span: traces leave the service, personal data does not (S4).
    const span = {
      kind: SpanKind.CLIENT,
      attributes: { ...this.server, 'delivery.id': mail.deliveryId },
    };
    await inSpan('smtp send', span, () =>
      this.transporter.sendMail({
        from: this.config.smtp.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: messageIdOf(mail.deliveryId),
        headers: { 'X-Ticketflow-Delivery': mail.deliveryId },
      }),
    );
  }
}

export function messageIdOf(deliveryId: string): string {
  return `<${deliveryId}@ticketflow>`;
}
