import { createServer, type Server, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import { connectWithoutDelay, mailPoolOptions } from './mail-sender';

const pool = { maxConnections: 3, maxMessages: 50 };

describe('the SMTP pool settings', () => {
  it('pools connections as configured and never re-queues a message on its own', () => {
    const options = mailPoolOptions({
      smtp: { url: 'smtp://relay.internal:2525', from: 'x' },
      mailPool: pool,
    });
    expect(options).toMatchObject({
      pool: true,
      host: 'relay.internal',
      port: 2525,
      secure: false,
      maxConnections: 3,
      maxMessages: 50,
      maxRequeues: 0,
    });
    expect(options.getSocket).toBe(connectWithoutDelay);
  });

  it('keeps what SMTP_URL says: implicit TLS, credentials and options in its query', () => {
    const options = mailPoolOptions({
      smtp: { url: 'smtps://user%40example.com:s3cret@mail.example.com?name=sender.example.com', from: 'x' },
      mailPool: pool,
    });
    expect(options).toMatchObject({
      secure: true,
      host: 'mail.example.com',
      name: 'sender.example.com',
      auth: { user: 'user@example.com', pass: 's3cret' },
    });
  });
});

describe('connections without Nagle delay', () => {
  let server: Server;
  let port: number;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands nodemailer the socket at once, Nagle off, and leaves its error handling to it', async () => {
    const result = await new Promise<{ error: Error | null; socket: { connection: Socket } | false }>(
      (resolve) =>
        connectWithoutDelay({ host: '127.0.0.1', port }, (error, socket) => resolve({ error, socket })),
    );
    expect(result.error).toBeNull();
    const { connection } = result.socket as { connection: Socket };
    expect(connection.listenerCount('error')).toBe(0);
    await new Promise((resolve) => connection.once('connect', resolve));
    expect(connection.remotePort).toBe(port);
    connection.destroy();
  });

  it('keeps sending, and failing fast, after more refused connections than the pool has slots', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const transport = createTransport(
      mailPoolOptions({
        smtp: { url: `smtp://127.0.0.1:${closedPort}`, from: 'x' },
        mailPool: { maxConnections: 2, maxMessages: 10 },
      }),
    );
    try {
      // Each refusal used to keep its slot: the third message then waited forever.
      for (let attempt = 1; attempt <= 6; attempt++) {
        await expect(
          transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 's', text: 't' }),
        ).rejects.toMatchObject({
          code: 'ESOCKET',
          message: expect.stringMatching(/ECONNREFUSED/) as string,
        });
      }
    } finally {
      transport.close();
    }
  }, 20_000);
});
