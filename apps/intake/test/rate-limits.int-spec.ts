import { type INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';
import { type Server } from 'node:http';
import request from 'supertest';
import { bearer, startServiceApp } from '@app/testing';
import { loadIntakeConfig } from '../src/config/intake.config';
import { IntakeModule } from '../src/intake.module';
import { IntakeHarness } from './support/intake-harness';

const LIMITS = {
  RATE_LIMIT_WINDOW_SECONDS: '3',
  RATE_LIMIT_PER_KEY: '6',
  RATE_LIMIT_PER_ADDRESS: '5',
  RATE_LIMIT_AUTH_FAILURES: '3',
};

/** Rate limits per API key and per client address, shared by replicas through the real Redis (S5). */
describe('rate limits', () => {
  let intake: IntakeHarness;
  let replica: INestApplication;

  beforeAll(async () => {
    intake = await IntakeHarness.start(LIMITS);
    replica = await intake.startReplica();
  });

  afterAll(() => intake?.stop());

  const statuses = async (requests: Array<() => request.Test>) => {
    const seen: number[] = [];
    // One after another, so which ones pass is deterministic.
    for (const send of requests) seen.push((await send()).status);
    return seen;
  };

  it('turns away guessed keys after a few tries, with Retry-After, and lets the window reset', async () => {
    const http = intake.http;
    const wrongKey = () => http.get('/v1/tickets').set('authorization', 'Bearer guessed-key-000000000000');
    const seen = await statuses(Array.from({ length: 10 }, () => wrongKey));
    expect(seen).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);

    const limited = await wrongKey().expect(429);
    expect(limited.body.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);

    // Probes are never limited, and a valid key is counted on its own.
    await http.get('/health/live').expect(200);
    await http.get('/v1/tickets').set('authorization', bearer('agent')).expect(200);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    await wrongKey().expect(401);
  });

  it('counts each key across replicas, and one key running out leaves another alone', async () => {
    const list = (app: INestApplication, key: 'admin' | 'publisher') => () =>
      request(app.getHttpServer() as Server)
        .get('/v1/tickets')
        .set('authorization', bearer(key));
    const seen = await statuses([
      list(intake.app, 'admin'),
      list(replica, 'admin'),
      list(intake.app, 'admin'),
      list(replica, 'admin'),
      list(intake.app, 'admin'),
      list(replica, 'admin'),
      list(intake.app, 'admin'),
      list(replica, 'admin'),
    ]);
    expect(seen).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    // The publisher key may not list tickets (403), but it is its own budget: not 429.
    await list(replica, 'publisher')().expect(403);
  });

  /** Eight wrong keys to an intake started with `env`: all 401 when nothing limits them. */
  const wrongKeysTo = async (env: Record<string, string>) => {
    const app = await startServiceApp(
      IntakeModule.forRoot(loadIntakeConfig({ ...intake.sandbox.env, ...env })),
    );
    try {
      const http = () => request(app.getHttpServer() as Server);
      return await statuses(
        Array.from(
          { length: 8 },
          () => () => http().get('/v1/tickets').set('authorization', 'Bearer nope-000000000000000'),
        ),
      );
    } finally {
      await app.close();
    }
  };

  it('lets requests through when Redis does not answer: limits are no reason to refuse tickets', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await wrongKeysTo({ REDIS_URL: `redis://127.0.0.1:${port}` })).toEqual(
      Array.from({ length: 8 }, () => 401),
    );
  });

  it('limits nothing with RATE_LIMIT_DISABLED', async () => {
    expect(await wrongKeysTo({ RATE_LIMIT_DISABLED: 'true' })).toEqual(Array.from({ length: 8 }, () => 401));
  });
});
