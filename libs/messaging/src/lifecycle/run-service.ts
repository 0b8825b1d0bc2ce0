import { type INestApplication, Logger, type Type, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, type NestMicroservice } from '@nestjs/microservices';
import { Logger as PinoLogger } from 'nestjs-pino';
import { type HttpConfig } from '@app/config';
import { configureHttpApp } from '@app/http';
import { createRootLogger, HealthService, logProcessWarnings } from '@app/observability';
import { stopTracing } from '@app/observability/tracing/start-tracing';
import { KafkaEventTransport } from '../transport/kafka-event.transport';
import { PropagateErrorsFilter } from '../transport/propagate-errors.filter';

export interface RunServiceOptions {
  module: Type | DynamicModule;
  http: HttpConfig;
  title: string;
  description: string;
}

/** Attaches the Kafka transport so `@HandlesEvent` handlers start consuming. */
export async function startEventConsumers(app: INestApplication): Promise<void> {
  // Deferred, so the filter is in place before the handlers are built (they capture filters then).
  const consumers = app.connectMicroservice<MicroserviceOptions>(
    { strategy: app.get(KafkaEventTransport) },
    { inheritAppConfig: false, deferInitialization: true },
  ) as NestMicroservice;
  consumers.useGlobalFilters(new PropagateErrorsFilter());
  // The application already ran every lifecycle hook; the consumer only needs its listeners.
  consumers.setIsInitHookCalled(true);
  await app.startAllMicroservices();
}

/**
 * Boots one service process. Anything that stops it from doing its job (bad config, unreachable
 * dependency, unsafe Redis) ends the process non-zero with the reason in a JSON log line.
 */
export async function runService(options: RunServiceOptions): Promise<INestApplication> {
  const rootLogger = createRootLogger(options.http.service);
  logProcessWarnings(rootLogger);
  const die = (msg: string) => (error: unknown) => {
    rootLogger.fatal({ err: error }, msg);
    process.exit(1);
  };
  process.on('unhandledRejection', die('Unhandled promise rejection'));
  process.on('uncaughtException', die('Uncaught exception'));

  try {
    const app = await NestFactory.create(options.module, { bufferLogs: true, bodyParser: false });
    app.useLogger(app.get(PinoLogger));
    configureHttpApp(app, {
      title: options.title,
      description: options.description,
      version: '1.0',
      bodyLimit: options.http.bodyLimit,
      trustProxy: options.http.trustProxy,
    });
    // Bootstrap hooks first: topics must exist and the producer (for DLQ writes) be connected
    // before the first message is consumed.
    await app.init();
    await startEventConsumers(app);
    await app.listen(options.http.port, options.http.host);
    drainOnSignals(app, options.http.shutdownTimeoutMs);
    new Logger('Service').log({ msg: 'Service started', port: options.http.port });
    return app;
  } catch (error) {
    die('Service failed to start')(error);
    throw error;
  }
}

/** SIGTERM/SIGINT: stop taking traffic, drain in-flight work, close connections, exit (R8). */
function drainOnSignals(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log({ msg: 'Draining before exit', signal });
    app.get(HealthService).setNotReady('draining');
    const deadline = setTimeout(() => {
      logger.error({ msg: 'Drain timed out; exiting', timeoutMs });
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    app
      .close()
      // Last, so the spans of the drain itself are exported too.
      .then(() => stopTracing())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ msg: 'Shutdown failed', error: String(error) });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/**
 * Entry point wrapper for main.ts: configuration errors and start-up failures become one fatal
 * JSON log line and exit code 1, never a half-started process.
 */
export function launch(service: string, main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    createRootLogger(service).fatal({ err: error }, 'Service failed to start');
    process.exit(1);
  });
}
