import { type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { authBlock, loadConfig, redisBlock } from '@app/config';
import { JobQueue, QUEUE_BOARD_PATH, queueBoardProvider } from '@app/database';
import { configureHttpApp, HttpPlatformModule } from '@app/http';
import { bearer, createSandbox, type TestSandbox } from '@app/testing';

/** Stands for a service's provider that owns a queue, as DeliveryQueue does. */
class ProbeQueues {
  constructor(readonly jobs: JobQueue<{ n: number }>) {}
}

/** The read-only queue dashboard over a real Redis, behind the operator's admin keys only. */
describe('the queue dashboard', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let jobs: JobQueue<{ n: number }>;
  const queueName = `board-${randomUUID().slice(0, 8)}`;
  const get = (path: string) => request(app.getHttpServer()).get(`${QUEUE_BOARD_PATH}${path}`);

  beforeAll(async () => {
    sandbox = await createSandbox();
    const config = loadConfig({ redis: redisBlock, auth: authBlock }, sandbox.env);
    jobs = new JobQueue(queueName, config.redis);
    await jobs.queue.add('probe', { n: 1 }, { jobId: 'probe-1', delay: 3_600_000 });

    @Module({
      imports: [HttpPlatformModule.forRoot(config.auth)],
      providers: [
        { provide: ProbeQueues, useValue: new ProbeQueues(jobs) },
        queueBoardProvider({ title: 'probe', inject: [ProbeQueues], queues: (owner) => [owner.jobs] }),
      ],
    })
    class BoardProbeModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BoardProbeModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'], bodyParser: false });
    configureHttpApp(app, { title: 'test', description: 'test', version: 'test' });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await jobs?.queue.obliterate({ force: true });
    await jobs?.close();
    await sandbox?.dispose();
  });

  it('is never served without an operator admin key', async () => {
    for (const path of ['', '/', '/api/queues', '/static/nothing.js']) {
      const anonymous = await get(path).expect(401);
      expect(anonymous.body).toMatchObject({ code: 'unauthorized' });
      await get(path).set('authorization', 'Bearer not-a-key-we-know-000000').expect(401);
      await get(path).set('authorization', bearer('agent')).expect(403);
      await get(path).set('authorization', bearer('publisher')).expect(403);
      // An admin of another tenant: the queues are every tenant's.
      await get(path).set('authorization', bearer('otherTenantAdmin')).expect(403);
    }
  });

  it('shows the page and the queues to an operator admin, read-only', async () => {
    const page = await get('/').set('authorization', bearer('admin')).expect(200);
    expect(page.type).toBe('text/html');
    expect(page.headers['x-powered-by']).toBeUndefined();
    // The page's scripts load from under the dashboard's path, behind the same key.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    await get(`/${script}`).set('authorization', bearer('admin')).expect(200);
    await get(`/${script}`).expect(401);

    const listed = await get('/api/queues').set('authorization', bearer('admin')).expect(200);
    const queues = (listed.body as { queues: Array<{ name: string; readOnlyMode: boolean; counts: object }> })
      .queues;
    expect(queues).toEqual([
      expect.objectContaining({
        name: queueName,
        readOnlyMode: true,
        counts: expect.objectContaining({ delayed: 1 }),
      }),
    ]);

    for (const path of [`/api/queues/${queueName}/pause`, `/api/queues/${queueName}/probe-1/promote`]) {
      await request(app.getHttpServer())
        .put(`${QUEUE_BOARD_PATH}${path}`)
        .set('authorization', bearer('admin'))
        .expect(405);
      await request(app.getHttpServer())
        .post(`${QUEUE_BOARD_PATH}${path}`)
        .set('authorization', bearer('admin'))
        .expect(405);
    }
    expect(await jobs.queue.isPaused()).toBe(false);
    expect(await jobs.queue.getJobState('probe-1')).toBe('delayed');
  });
});
