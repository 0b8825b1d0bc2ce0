import { type INestApplication } from '@nestjs/common';
import { type Server } from 'node:http';
import request from 'supertest';
import { bearer, createSandbox, SmtpSink, startServiceApp, type TestSandbox } from '@app/testing';
import { loadNotificationsConfig } from '../src/config/notifications.config';
import { NotificationsModule } from '../src/notifications.module';

/** Bad bodies on the public survey route and the template preview: a 4xx with a stable code. */
describe('notifications refuses hostile input', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  let sink: SmtpSink;
  const http = () => request(app.getHttpServer() as Server);

  beforeAll(async () => {
    sink = new SmtpSink();
    const smtpPort = await sink.start();
    sandbox = await createSandbox({ SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
    app = await startServiceApp(NotificationsModule.forRoot(loadNotificationsConfig(sandbox.env)));
  });

  afterAll(async () => {
    await app?.close();
    await sink?.stop();
    await sandbox?.dispose();
  });

  it('refuses a survey answer nested 5,000 levels deep with 400 before looking at the token', async () => {
    const deep = `{"score":3,"comment":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const response = await http()
      .post('/v1/surveys/not-a-real-token')
      .set('content-type', 'application/json')
      .send(deep);
    expect([response.status, response.body.code]).toEqual([400, 'body_too_deep']);
  });

  it('still reads a public survey answer without an API key, as JSON and as the page’s form', async () => {
    // A valid answer reaches the token lookup (404); without its body it would fail validation (400).
    const asJson = await http().post('/v1/surveys/not-a-real-token').send({ score: 3 });
    expect(asJson.status).toBe(404);
    const asForm = await http()
      .post('/v1/surveys/not-a-real-token')
      .type('form')
      .send('score=3&comment=fine');
    expect(asForm.status).toBe(404);
    const invalid = await http().post('/v1/surveys/not-a-real-token').type('form').send('score=9');
    expect([invalid.status, invalid.body.code]).toEqual([400, 'validation_failed']);
  });

  it('limits the public survey routes per client address, with Retry-After', async () => {
    const limited = await startServiceApp(
      NotificationsModule.forRoot(
        loadNotificationsConfig({
          ...sandbox.env,
          // Counters of its own: the requests of the tests above are not in its window.
          REDIS_KEY_PREFIX: `${sandbox.id}-limited`,
          RATE_LIMIT_PER_ADDRESS: '3',
          RATE_LIMIT_WINDOW_SECONDS: '30',
        }),
      ),
    );
    try {
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await request(limited.getHttpServer() as Server)
          .post('/v1/surveys/not-a-real-token')
          .send({ score: 3 });
        seen.push(response.status);
        if (response.status === 429) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(seen).toEqual([404, 404, 404, 429, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it('labels the JSON error of the survey page (a text/html route) as application/json', async () => {
    const response = await http().get('/v1/surveys/not-a-real-token').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.code).toBe('survey_not_found');
  });

  it('refuses a preview with values: null as a validation error naming values', async () => {
    const preview = (values: unknown) =>
      http()
        .post('/v1/templates/preview')
        .set('authorization', bearer('admin'))
        .send({ kind: 'ticket.acknowledgment', locale: 'en', values });
    const response = await preview(null);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ field: 'values' })],
    });
    await preview({ customerName: 'Ayşe' }).expect(200);
  });
});
