/**
 * A local SMTP sink for `npm run up` on machines without Docker (where compose runs Mailpit):
 * accepts every message on MAIL_SINK_SMTP_PORT and lists them as JSON on MAIL_SINK_HTTP_PORT.
 *   curl localhost:8025/messages          summaries, newest last
 *   curl localhost:8025/messages/0        one raw message
 */
import { createServer } from 'node:http';
import { SmtpSink } from '@app/testing';

async function main(): Promise<void> {
  const smtpPort = Number(process.env.MAIL_SINK_SMTP_PORT ?? 2525);
  const httpPort = Number(process.env.MAIL_SINK_HTTP_PORT ?? 8025);
  const sink = new SmtpSink();
  await sink.start(smtpPort);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const one = /^\/messages\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/messages') {
      const summaries = sink.messages.map((mail, id) => ({
        id,
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
      }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summaries, null, 2));
    } else if (one && sink.messages[Number(one[1])]) {
      response.writeHead(200, { 'content-type': 'message/rfc822' }).end(sink.messages[Number(one[1])].raw);
    } else {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}');
    }
  });
  server.listen(httpPort, '127.0.0.1');
  console.log(JSON.stringify({ msg: 'Mail sink listening', smtpPort, httpPort }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
