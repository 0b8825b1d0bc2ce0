import { type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { configureHttpApp } from '@app/http';
import { startEventConsumers } from '@app/messaging';

/** A service module running in-process exactly as main.ts wires it: HTTP, OpenAPI and Kafka consumers. */
export async function startServiceApp(module: DynamicModule): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'], bodyParser: false });
  configureHttpApp(app, { title: 'test', description: 'test', version: 'test' });
  try {
    await app.init();
    await startEventConsumers(app);
  } catch (error) {
    // Release whatever did start (pools, queues), then report the failure that matters.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
