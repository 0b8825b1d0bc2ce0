import { connect } from 'node:net';
import { createTransport } from 'nodemailer';
import { SmtpSink } from './smtp-sink';
import { waitFor } from './wait-for';

describe('SmtpSink', () => {
  const sink = new SmtpSink();
  let port: number;

  beforeAll(async () => {
    port = await sink.start();
  });
  afterAll(() => sink.stop());

  it('outlives senders that reset their connections mid-session, and keeps accepting mail', async () => {
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      const reply = (pattern: RegExp) => waitFor(() => pattern.test(received), { description: `${pattern}` });
      await reply(/^220 /m);
      socket.write('EHLO killed.example\r\n');
      await reply(/^250 /m);
      socket.write('MAIL FROM:<a@example.com>\r\n');
      await reply(/Accepted/);
      // Killed mid-transaction: the kernel resets the connection under the server.
      socket.resetAndDestroy();
    }
    await waitFor(() => sink.connectionErrors >= 3, { description: 'the three resets reported' });

    const mailer = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await mailer.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'still here', text: 'hi' });
    expect(sink.to('b@example.com').map((mail) => mail.subject)).toEqual(['still here']);
  });
});
