import { type INestApplication } from '@nestjs/common';
import { type Server } from 'node:http';
import request from 'supertest';
import { bearer, startServiceApp, TcpProxy } from '@app/testing';
import { loadIntakeConfig } from '../src/config/intake.config';
import { IntakeModule } from '../src/intake.module';
import { IntakeHarness, uniqueEmail } from './support/intake-harness';

/**
 * What callers and orchestrators see while Postgres is away: a 503 they can retry, readiness
 * that says which dependency without saying where it lives, and no framework banner.
 */
describe('a dependency outage over HTTP', () => {
  let intake: IntakeHarness;
  let proxy: TcpProxy;
  let app: INestApplication;

  beforeAll(async () => {
    intake = await IntakeHarness.start();
    const direct = new URL(intake.sandbox.databaseUrl);
    proxy = new TcpProxy(direct.hostname, Number(direct.port));
    const proxied = new URL(direct);
    proxied.port = String(await proxy.start());
    app = await startServiceApp(
      IntakeModule.forRoot(loadIntakeConfig({ ...intake.sandbox.env, DATABASE_URL: proxied.toString() })),
    );
  });

  afterAll(async () => {
    await proxy?.start().catch(() => undefined);
    await app?.close();
    await proxy?.stop();
    await intake?.stop();
  });

  const http = () => request(app.getHttpServer() as Server);
  const createTicket = () =>
    http()
      .post('/v1/tickets')
      .set('authorization', bearer('publisher'))
      .send({ channel: 'web', customer: { email: uniqueEmail('outage') }, subject: 'Help', body: 'Please' });

  it('answers 503 with Retry-After while Postgres is down, and works again when it is back', async () => {
    const before = await createTicket().expect(201);
    expect(before.headers['x-powered-by']).toBeUndefined();

    await proxy.stop();
    const refused = await createTicket().expect(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body).toEqual({
      code: 'dependency_unavailable',
      message: 'A service this request needs is unavailable; retry later',
    });

    const ready = await http().get('/health/ready').expect(503);
    expect(ready.body.checks.postgres).toEqual({ status: 'down' });
    // Names and states only: no host, port or driver message for whoever can reach the probe.
    expect(JSON.stringify(ready.body)).not.toMatch(/127\.0\.0\.1|ECONN|connect|timed out/i);

    await proxy.start();
    await createTicket().expect(201);
    expect((await http().get('/health/ready').expect(200)).body.checks.postgres).toEqual({ status: 'up' });
  });
});
