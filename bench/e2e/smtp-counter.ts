import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

export interface ReceivedMessage {
  /** RCPT TO addresses, lower-cased. */
  recipients: readonly string[];
  /** The start of the DATA section (headers and the first lines of the body), at most HEAD_BYTES. */
  head: string;
  receivedAt: number;
}

/** Enough of each message to correlate it and spot a phrase; the rest is counted, not kept. */
const HEAD_BYTES = 8_192;
const MAX_COMMAND_LINE = 16_384;
const TERMINATOR = '\r\n.\r\n';
const EHLO_REPLY = '250-bench-smtp\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 OK\r\n';

/**
 * Just enough SMTP to be a mail relay for nodemailer: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT, several messages per connection and pipelined commands. It parses no MIME: a message
 * is whatever lies between DATA and the lone dot, and costs one scan for the terminator, so the
 * sink stays cheap next to the services it measures.
 */
export class SmtpCounter {
  messages = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly onMessage: (message: ReceivedMessage) => void) {
    this.server = createServer((socket) => this.serve(socket));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let inData = false;
    let pending = '';
    let recipients: string[] = [];
    let head = '';
    // The terminator may straddle two reads; a message may also be empty, ending right after 354.
    let carry = '\r\n';

    socket.write('220 bench-smtp ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      let text = chunk.toString('latin1');
      let reply = '';
      while (text.length > 0) {
        if (inData) {
          const scanned = carry + text;
          const end = scanned.indexOf(TERMINATOR);
          if (end < 0) {
            if (head.length < HEAD_BYTES) head += text.slice(0, HEAD_BYTES - head.length);
            carry = scanned.slice(-4);
            text = '';
            continue;
          }
          const bodyEnd = end - carry.length;
          if (head.length < HEAD_BYTES && bodyEnd > 0)
            head += text.slice(0, Math.min(bodyEnd, HEAD_BYTES - head.length));
          text = text.slice(end - carry.length + TERMINATOR.length);
          this.messages += 1;
          this.onMessage({ recipients, head, receivedAt: Date.now() });
          inData = false;
          recipients = [];
          head = '';
          carry = '\r\n';
          reply += '250 OK queued\r\n';
          continue;
        }
        pending += text;
        text = '';
        let newline = pending.indexOf('\n');
        while (newline >= 0 && !inData) {
          const line = pending.slice(0, newline).replace(/\r$/, '');
          pending = pending.slice(newline + 1);
          const verb = line.slice(0, 4).toUpperCase();
          switch (verb) {
            case 'EHLO':
              reply += EHLO_REPLY;
              break;
            case 'HELO':
              reply += '250 bench-smtp\r\n';
              break;
            case 'MAIL':
              recipients = [];
              reply += '250 OK\r\n';
              break;
            case 'RCPT': {
              const address = /<([^>]*)>/.exec(line)?.[1] ?? line.slice(8).trim();
              recipients.push(address.toLowerCase());
              reply += '250 OK\r\n';
              break;
            }
            case 'DATA':
              if (recipients.length === 0) {
                reply += '554 No valid recipients\r\n';
              } else {
                inData = true;
                reply += '354 End data with <CR><LF>.<CR><LF>\r\n';
              }
              break;
            case 'RSET':
              recipients = [];
              reply += '250 OK\r\n';
              break;
            case 'NOOP':
              reply += '250 OK\r\n';
              break;
            case 'QUIT':
              socket.end(`${reply}221 Bye\r\n`);
              return;
            default:
              reply += '502 Command not implemented\r\n';
          }
          newline = pending.indexOf('\n');
        }
        if (inData) {
          // Whatever followed DATA in this read is already message content.
          text = pending;
          pending = '';
        } else if (pending.length > MAX_COMMAND_LINE) {
          socket.end('500 Line too long\r\n');
          return;
        }
      }
      if (reply) socket.write(reply);
    });
  }
}
