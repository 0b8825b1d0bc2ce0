import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { serializeEvent, Topic } from '@app/contracts';
import {
  bearer,
  createSandbox,
  KafkaProbe,
  SmtpSink,
  startServiceApp,
  TcpProxy,
  type TestSandbox,
  waitFor,
  ticketCreatedEvent,
} from '@app/testing';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { DELIVERY_TIMER_QUEUE } from '../src/deliveries/delivery-timers';
import { NotificationsModule } from '../src/notifications.module';

interface DeliveryView {
  id: string;
  reason: string;
  state: string;
  attempts: number;
  lastError: string | null;
  resends: number;
  resentAt: string | null;
  resentBy: string | null;
}

const ATTEMPTS = 2;

/**
 * An operator's resend over real Postgres, Redis, Kafka and SMTP: an acknowledgment that failed
 * for good while the relay was down is resent once the relay accepts mail again, and arrives once,
 * with its ledger id as Message-ID; a sent delivery is not resent.
 */
describe('resending a delivery', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  const probe = new KafkaProbe();
  const sink = new SmtpSink();
  let relay: TcpProxy;

  const deliveriesOf = async (ticketId: string): Promise<DeliveryView[]> => {
    const response = await request(app.getHttpServer())
      .get(`/v1/deliveries?ticketId=${ticketId}`)
      .set('authorization', bearer('admin'))
      .expect(200);
    return (response.body as { items: DeliveryView[] }).items;
  };
  const resend = (key: Parameters<typeof bearer>[0], id: string) =>
    request(app.getHttpServer()).post(`/v1/deliveries/${id}/resend`).set('authorization', bearer(key));

  function ticketCreated(email: string) {
    return ticketCreatedEvent({ subject: 'Relay down, then up', language: 'en', customer: { email } });
  }

  beforeAll(async () => {
    relay = new TcpProxy('127.0.0.1', await sink.start());
    const relayPort = await relay.start();
    // The relay is down until the test brings it back, on the same port.
    await relay.stop();
    sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${relayPort}`,
      NOTIFICATIONS_SEND_ATTEMPTS: String(ATTEMPTS),
      NOTIFICATIONS_SEND_BACKOFF_MS: '100',
      NOTIFICATIONS_DELIVERY_LEASE: 'PT1S',
      ACKNOWLEDGMENT_WAIT: 'PT1S',
      NOTIFICATIONS_COALESCE_WINDOW: 'PT0S',
    });
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
  });

  afterAll(async () => {
    await probe.close();
    await app?.close();
    await relay?.stop();
    await sink.stop();
    await sandbox?.dispose();
  });

  it('sends a delivery that failed for good once an admin resends it with the relay back, audits each resend, and never resends a sent one', async () => {
    const created = ticketCreated('resend-customer@example.com');
    await probe.publish(
      `${sandbox.env.KAFKA_TOPIC_PREFIX}${Topic.TicketEvents}`,
      serializeEvent(created),
      created.data.ticketId,
    );
    const failed = await waitFor(
      async () => (await deliveriesOf(created.data.ticketId)).find((row) => row.state === 'failed'),
      { description: 'the acknowledgment failed for good', timeoutMs: 30_000 },
    );
    expect(failed).toMatchObject({ attempts: ATTEMPTS, resends: 0, resentAt: null });
    expect(sink.messages).toHaveLength(0);

    // Only an admin of the delivery's tenant may resend it.
    await resend('agent', failed.id).expect(403);
    await resend('otherTenantAdmin', failed.id).expect(404);
    await resend('admin', randomUUID()).expect(404);
    await resend('admin', 'not-a-uuid').expect(400);

    // Resent while the relay is still down: a whole new round of attempts, then failed again.
    const early = await resend('admin', failed.id).expect(202);
    expect(early.body).toMatchObject({ id: failed.id, state: 'pending', resends: 1 });
    expect((early.body as DeliveryView).resentBy).toMatch(/^api-key:[0-9a-f]{8}$/);
    await waitFor(
      async () =>
        (await deliveriesOf(created.data.ticketId)).find(
          (row) => row.id === failed.id && row.state === 'failed' && row.attempts === 2 * ATTEMPTS,
        ),
      { description: 'the first resend failed after a round of its own', timeoutMs: 30_000 },
    );

    await relay.start();
    const accepted = await resend('admin', failed.id).expect(202);
    expect(accepted.body).toMatchObject({ id: failed.id, state: 'pending', resends: 2 });

    const sent = await waitFor(
      async () =>
        (await deliveriesOf(created.data.ticketId)).find(
          (row) => row.id === failed.id && row.state === 'sent',
        ),
      { description: 'the resent delivery sent', timeoutMs: 30_000 },
    );
    expect(sent).toMatchObject({ attempts: 2 * ATTEMPTS + 1, lastError: null, resends: 2 });
    // Quiet: no watchdog left to queue it again, so the count below is final.
    const watchdogs = await app
      .get(DataSource)
      .query<unknown[]>(`SELECT 1 FROM timers WHERE queue = $1 AND data->>'deliveryId' = $2`, [
        DELIVERY_TIMER_QUEUE,
        failed.id,
      ]);
    expect(watchdogs).toEqual([]);
    const mails = sink.to('resend-customer@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0].header('message-id')).toBe(`<${failed.id}@ticketflow>`);

    const refused = await resend('admin', failed.id).expect(409);
    expect(refused.body).toMatchObject({ code: 'delivery_not_resendable' });
    expect(await deliveriesOf(created.data.ticketId)).toContainEqual(
      expect.objectContaining({ id: failed.id, state: 'sent', resends: 2 }),
    );

    // The audit log holds the two resends that happened, newest first, and neither refusal.
    const audit = await request(app.getHttpServer())
      .get(`/v1/audit?entityType=delivery&entityId=${failed.id}`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(audit.body).toEqual([
      expect.objectContaining({
        entityType: 'delivery',
        entityId: failed.id,
        action: 'resent',
        actor: accepted.body.resentBy,
        before: { state: 'failed', resends: 1 },
        after: { state: 'pending', resends: 2 },
      }),
      expect.objectContaining({ action: 'resent', before: { state: 'failed', resends: 0 } }),
    ]);
    const otherTenant = await request(app.getHttpServer())
      .get(`/v1/audit?entityId=${failed.id}`)
      .set('authorization', bearer('otherTenantAdmin'))
      .expect(200);
    expect(otherTenant.body).toEqual([]);
    await request(app.getHttpServer()).get('/v1/audit').set('authorization', bearer('agent')).expect(403);
    await request(app.getHttpServer())
      .get('/v1/audit?entityType=agent')
      .set('authorization', bearer('admin'))
      .expect(400);
  });

  it('never mails a delivery twice when recording its send fails after the relay accepted it', async () => {
    // Real Postgres errors where the worker records the send: a lost deadlock once for one address
    // (a sequence counts outside the failing transaction), a non-transient error always for another.
    const db = app.get(DataSource);
    await db.query('CREATE SEQUENCE record_deadlocks');
    await db.query(`
      CREATE FUNCTION fail_recording() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.to_address = 'record-deadlock@example.com' AND nextval('record_deadlocks') = 1 THEN
          RAISE EXCEPTION 'deadlock detected (injected)' USING ERRCODE = '40P01';
        END IF;
        IF NEW.to_address = 'record-broken@example.com' THEN
          RAISE EXCEPTION 'recording refused (injected)' USING ERRCODE = 'P0001';
        END IF;
        RETURN NEW;
      END $$`);
    await db.query(`
      CREATE TRIGGER fail_recording BEFORE UPDATE OF state ON deliveries
      FOR EACH ROW WHEN (NEW.state = 'sent') EXECUTE FUNCTION fail_recording()`);
    try {
      const deadlocked = ticketCreated('record-deadlock@example.com');
      const broken = ticketCreated('record-broken@example.com');
      for (const event of [deadlocked, broken]) {
        await probe.publish(
          `${sandbox.env.KAFKA_TOPIC_PREFIX}${Topic.TicketEvents}`,
          serializeEvent(event),
          event.data.ticketId,
        );
      }

      // The lost deadlock is retried as a record, not as a send: sent, on its first attempt.
      const sent = await waitFor(
        async () => (await deliveriesOf(deadlocked.data.ticketId)).find((row) => row.state === 'sent'),
        { description: 'the delivery whose record lost a deadlock, sent', timeoutMs: 30_000 },
      );
      expect(sent).toMatchObject({ attempts: 1, lastError: null });
      // What cannot be recorded stays open until its watchdog calls it what it is: unconfirmed.
      const unconfirmed = await waitFor(
        async () => (await deliveriesOf(broken.data.ticketId)).find((row) => row.state === 'unconfirmed'),
        { description: 'the delivery that could not be recorded, unconfirmed', timeoutMs: 30_000 },
      );
      expect(unconfirmed.attempts).toBe(1);
      // Past two more leases, so a wrongly queued second send would have gone by now.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(sink.to('record-deadlock@example.com')).toHaveLength(1);
      expect(sink.to('record-broken@example.com')).toHaveLength(1);
      expect((await deliveriesOf(broken.data.ticketId)).map((row) => row.state)).toEqual(['unconfirmed']);
    } finally {
      await db.query('DROP TRIGGER fail_recording ON deliveries');
    }
  });
});
