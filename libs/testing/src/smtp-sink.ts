import { type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  header(name: string): string | undefined;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`) as text, so assertions and listings read naturally. */
export function decodeMimeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_hex, code: string) =>
                  String.fromCharCode(parseInt(code, 16)),
                ),
              'latin1',
            );
      return new TextDecoder(charset).decode(bytes);
    });
}

/** A real SMTP server on loopback that keeps every message it accepts. */
export class SmtpSink {
  readonly messages: CapturedMail[] = [];
  /** Called once a message is stored and accepted, e.g. to kill the sender right then. */
  onAccepted: (mail: CapturedMail) => void = () => undefined;
  /** Connections that failed under a session, as a sender killed mid-session resets its own. */
  connectionErrors = 0;
  private readonly server: SMTPServer;
  private listening = false;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const headerBlock = raw.split(/\r?\n\r?\n/)[0] ?? '';
          const unfolded = headerBlock.replace(/\r?\n[ \t]+/g, ' ');
          const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded)?.[1]?.trim();
          const mail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw,
            subject: decodeMimeWords(header('subject') ?? ''),
            header,
          };
          this.messages.push(mail);
          callback();
          this.onAccepted(mail);
        });
      },
    });
    // smtp-server reports a connection's failure on the server: unheard, it would end the process.
    this.server.on('error', () => {
      if (this.listening) this.connectionErrors += 1;
    });
  }

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.listening = true;
        resolve();
      });
    });
    return (this.server.server.address() as AddressInfo).port;
  }

  to(address: string): CapturedMail[] {
    return this.messages.filter((mail) => mail.to.includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
