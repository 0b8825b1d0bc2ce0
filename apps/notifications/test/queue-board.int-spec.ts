import { type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { QUEUE_BOARD_PATH } from '@app/database';
import { bearer, createSandbox, SmtpSink, startServiceApp, type TestSandbox } from '@app/testing';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { DeliveryQueueName } from '../src/deliveries/delivery-jobs';
import { DELIVERY_TIMER_QUEUE } from '../src/deliveries/delivery-timers';
import { FOLLOW_UP_QUEUE } from '../src/follow-ups/follow-up-timers';
import { NotificationsModule } from '../src/notifications.module';

/** Notifications serves its queues' dashboard, read-only, to the operator's admins and nobody else. */
describe('the notifications queue dashboard', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  const sink = new SmtpSink();

  beforeAll(async () => {
    sandbox = await createSandbox({ SMTP_URL: `smtp://127.0.0.1:${await sink.start()}` });
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
  });

  afterAll(async () => {
    await app?.close();
    await sink.stop();
    await sandbox?.dispose();
  });

  it('answers 401 without a key, 403 to an agent and 200 to an admin, with every queue it owns', async () => {
    const api = () => request(app.getHttpServer()).get(`${QUEUE_BOARD_PATH}/api/queues`);
    await request(app.getHttpServer()).get(QUEUE_BOARD_PATH).expect(401);
    await api().expect(401);
    await api().set('authorization', bearer('agent')).expect(403);
    await request(app.getHttpServer())
      .get(QUEUE_BOARD_PATH)
      .set('authorization', bearer('admin'))
      .expect(200);
    const listed = await api().set('authorization', bearer('admin')).expect(200);
    const queues = (listed.body as { queues: Array<{ name: string; readOnlyMode: boolean }> }).queues;
    expect(queues.map((queue) => queue.name).sort()).toEqual(
      [DeliveryQueueName.Outbound, DELIVERY_TIMER_QUEUE, FOLLOW_UP_QUEUE].sort(),
    );
    expect(queues.every((queue) => queue.readOnlyMode)).toBe(true);
  });
});
