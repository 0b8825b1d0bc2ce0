import { serializeEvent, Topic } from '@app/contracts';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  SmtpSink,
  type TestSandbox,
  waitFor,
  ticketCreatedEvent,
} from '@app/testing';
import { ServiceProcess } from './support/service-process';

const PORT = 25_000 + (process.pid % 200) * 5;

interface DeliveryView {
  id: string;
  reason: string;
  state: string;
  lastError: string | null;
}

/**
 * R5 across a crash: the notifications process is killed with SIGKILL the moment the SMTP server
 * has accepted the acknowledgment, before the ledger can record it as sent. After a restart the
 * stalled job runs again, finds the row still `sending`, and must not send a second copy.
 */
describe('kill -9 of notifications between "SMTP accepted" and "ledger marked sent"', () => {
  let sandbox: TestSandbox;
  let sink: SmtpSink;
  const probe = new KafkaProbe();
  const running: ServiceProcess[] = [];

  const start = async () => {
    const service = new ServiceProcess('notifications', PORT, sandbox.env);
    running.push(service);
    await service.start();
    return service;
  };

  const ticketCreated = (email: string) =>
    ticketCreatedEvent({
      subject: 'Crash test',
      language: 'en',
      customer: { email, name: 'Casey', locale: 'en' },
    });

  const publish = (event: ReturnType<typeof ticketCreated>) =>
    probe.publish(
      `${sandbox.env.KAFKA_TOPIC_PREFIX}${Topic.TicketEvents}`,
      serializeEvent(event),
      event.subject,
    );

  async function deliveries(service: ServiceProcess, ticketId: string): Promise<DeliveryView[]> {
    const response = await fetch(`${service.url}/v1/deliveries?ticketId=${ticketId}`, {
      headers: { authorization: bearer('agent') },
    });
    return ((await response.json()) as { items: DeliveryView[] }).items;
  }

  beforeAll(async () => {
    sink = new SmtpSink();
    const smtpPort = await sink.start();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ACKNOWLEDGMENT_WAIT: 'PT1S',
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    await probe.close();
    for (const service of running) await service.stop('SIGTERM');
    await sink?.stop();
    await sandbox?.dispose();
  });

  it('leaves exactly one message in the sink and the delivery visibly unconfirmed', async () => {
    const first = await start();
    let killed: Promise<number | null> | undefined;
    sink.onAccepted = (mail) => {
      if (mail.to.includes('crash@example.com') && !killed) killed = first.stop('SIGKILL');
    };
    const created = ticketCreated('crash@example.com');
    await publish(created);
    await waitFor(() => killed !== undefined, {
      description: 'the SMTP sink to accept the acknowledgment',
      timeoutMs: 30_000,
    });
    expect(await killed).toBeNull(); // ended by the signal, not by an exit code
    expect(sink.to('crash@example.com')).toHaveLength(1);

    const second = await start();
    // The redelivered event and the rerun of the stalled job both meet the claimed ledger row.
    await publish(created);
    const [row] = await waitFor(
      async () => {
        const rows = await deliveries(second, created.data.ticketId);
        return rows[0]?.state === 'unconfirmed' && rows;
      },
      { description: 'the interrupted delivery marked unconfirmed', timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(row.reason).toBe('ticket.acknowledgment');
    expect(row.lastError).toMatch(/not repeated/);
    expect(sink.to('crash@example.com')).toHaveLength(1);
    expect(sink.to('crash@example.com')[0].header('message-id')).toBe(`<${row.id}@ticketflow>`);

    // The restarted service goes on sending everything else exactly once.
    const next = ticketCreated('after-crash@example.com');
    await publish(next);
    await waitFor(() => sink.to('after-crash@example.com').length === 1, {
      description: 'the next acknowledgment',
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(sink.to('after-crash@example.com')).toHaveLength(1);
    expect(sink.to('crash@example.com')).toHaveLength(1);
    expect(second.logs()).toContain(
      'Delivery interrupted mid-send; marked unconfirmed instead of sending again',
    );
  });
});
