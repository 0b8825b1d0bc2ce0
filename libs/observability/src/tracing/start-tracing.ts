import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * Tracing is off unless the deployment asks for it with the standard OpenTelemetry variables: an
 * OTLP endpoint, or an exporter other than `none`. `OTEL_SDK_DISABLED=true` turns it off whatever
 * else is set.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK for one service process, when configured. It must run before
 * `http`, `express`, `pg` or `ioredis` is first required, because the instrumentations patch
 * those modules as they load: each app's `main.ts` imports its `tracing.ts` first.
 *
 * Everything else comes from `OTEL_*` (exporter, endpoint, protocol, sampler, batch delays,
 * resource attributes). Only traces: metrics stay on each service's Prometheus `/metrics`.
 *
 * Kafka is traced by the messaging library itself rather than by the kafkajs instrumentation: the
 * outbox relay publishes long after the transaction that wrote a row, so a producer span must
 * continue the row's stored trace context, not whatever is active in the relay; and a consumer
 * applies a batch event by event, each under its own event's trace.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingRequested(env)) return false;
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : `ticketflow-${service}`,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would be most of the traces and tell nothing.
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)(\/|\?|$)/.test(request.url ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      new ExpressInstrumentation(),
      new NestInstrumentation(),
      // Polls (the outbox relay, the timer scheduler, BullMQ's blocking reads) run outside any
      // request or event: only statements inside a traced unit of work become spans.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return true;
}

/** Exports the spans still buffered; the drain on SIGTERM calls it last. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}
