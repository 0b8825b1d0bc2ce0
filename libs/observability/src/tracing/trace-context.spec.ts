import { SpanStatusCode } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { tracingRequested } from './start-tracing';
import {
  activeTraceFields,
  activeTraceparent,
  endSpan,
  inSpan,
  SpanKind,
  startSpan,
  traceContextOfHeaders,
  traceHeadersOf,
} from './trace-context';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('trace context across work that outlives its span', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  const sdk = new NodeSDK({
    spanProcessors: [processor],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
    autoDetectResources: false,
  });

  beforeAll(() => sdk.start());
  afterAll(() => sdk.shutdown());
  beforeEach(() => exporter.reset());

  /** A span that ended, once the processor has handed it to the exporter (it does so asynchronously). */
  let exported: ReturnType<InMemorySpanExporter['getFinishedSpans']> = [];
  const flush = async () => {
    await processor.forceFlush();
    exported = exporter.getFinishedSpans();
  };
  const finished = (name: string) => {
    const span = exported.find((candidate) => candidate.name === name);
    if (!span) throw new Error(`no finished span ${name}`);
    return span;
  };

  it('has nothing to carry outside a span', () => {
    expect(activeTraceparent()).toBeNull();
    expect(activeTraceFields()).toBeUndefined();
  });

  it('carries the active span as a traceparent and as log fields', async () => {
    const seen = await inSpan('request', {}, () =>
      Promise.resolve({ traceparent: activeTraceparent(), fields: activeTraceFields() }),
    );
    await flush();
    const request = finished('request').spanContext();
    expect(seen.traceparent).toBe(`00-${request.traceId}-${request.spanId}-01`);
    expect(seen.fields).toEqual({ trace_id: request.traceId, span_id: request.spanId });
  });

  it('continues a stored traceparent later, outside the span that wrote it', async () => {
    const stored = await inSpan('transaction', {}, () => Promise.resolve(activeTraceparent()));
    await inSpan('relay', { parent: stored }, () => Promise.resolve());
    const [, traceId, spanId] = TRACEPARENT.exec(stored!)!;
    await flush();
    const relay = finished('relay');
    expect(relay.spanContext().traceId).toBe(traceId);
    expect(relay.parentSpanContext?.spanId).toBe(spanId);
  });

  it('starts a new trace for a null parent, whatever is active', async () => {
    await inSpan('outer', {}, () => inSpan('detached', { parent: null }, () => Promise.resolve()));
    await flush();
    expect(finished('detached').spanContext().traceId).not.toBe(finished('outer').spanContext().traceId);
    expect(finished('detached').parentSpanContext).toBeUndefined();
  });

  it('hands a producer span to its consumer through record headers, as Kafka delivers them', async () => {
    const producer = startSpan('send tickets', { kind: SpanKind.PRODUCER, parent: null });
    const headers = Object.fromEntries(
      Object.entries(traceHeadersOf(producer)).map(([key, value]) => [key, Buffer.from(value)]),
    );
    endSpan(producer);
    await inSpan('process tickets', { kind: SpanKind.CONSUMER, parent: traceContextOfHeaders(headers) }, () =>
      Promise.resolve(),
    );
    await flush();
    const consumer = finished('process tickets');
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
  });

  it('starts a root span for a record without headers', async () => {
    await inSpan('process bare', { parent: traceContextOfHeaders({}) }, () => Promise.resolve());
    await flush();
    expect(finished('process bare').parentSpanContext).toBeUndefined();
  });

  it('links a batch to every trace it serves, skipping work that was not traced', async () => {
    const first = await inSpan('first', {}, () => Promise.resolve(activeTraceparent()));
    const second = await inSpan('second', {}, () => Promise.resolve(activeTraceparent()));
    await inSpan('fire batch', { parent: null, links: [first, null, second] }, () => Promise.resolve());
    await flush();
    const linked = finished('fire batch').links.map((link) => link.context.spanId);
    expect(linked).toEqual([finished('first').spanContext().spanId, finished('second').spanContext().spanId]);
  });

  it('records a failure on the span and still throws it', async () => {
    await expect(inSpan('failing', {}, () => Promise.reject(new Error('broker gone')))).rejects.toThrow(
      'broker gone',
    );
    await flush();
    const failing = finished('failing');
    expect(failing.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker gone' });
    expect(failing.events.map((event) => event.name)).toEqual(['exception']);
  });
});

describe('tracingRequested', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    [{ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }, true],
  ])('%j → %s', (env: NodeJS.ProcessEnv, expected: boolean) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});
