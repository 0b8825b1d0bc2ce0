import {
  type Attributes,
  context,
  type Context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';

export { SpanKind };

/**
 * Asked for at each span, not once at load: a tracer taken before the SDK registered its provider
 * would stay a no-op wherever a second copy of the API was loaded (as test runners do).
 */
const tracer = () => trace.getTracer('ticketflow');

/**
 * A W3C `traceparent`: how a unit of work that outlives its trace's active span (an outbox row, a
 * timer row, a queued job) carries the trace on. Null when tracing is off or nothing is traced.
 */
export type Traceparent = string | null;

/** The active span's context as a `traceparent`, to store beside work that runs later. */
export function activeTraceparent(): Traceparent {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored `traceparent` names; the root context when there is none. */
export function traceContextOf(traceparent: Traceparent | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

type HeaderValue = Buffer | string | Array<Buffer | string> | undefined;

const headerGetter: TextMapGetter<Record<string, HeaderValue>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** The trace context a Kafka record's headers carry; the root context when they carry none. */
export function traceContextOfHeaders(headers: Record<string, HeaderValue> | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

export interface SpanOptions {
  kind?: SpanKind;
  /** The parent: a stored `traceparent` or an extracted context; the active context when absent. */
  parent?: Traceparent | Context;
  /** Other traces this work serves, as a batch serves many: linked, not parented. */
  links?: Traceparent[];
  attributes?: Attributes;
}

function parentContext(parent: SpanOptions['parent']): Context {
  if (parent === undefined) return context.active();
  return typeof parent === 'string' || parent === null ? traceContextOf(parent) : parent;
}

function linksOf(traceparents: Traceparent[] = []): Link[] {
  const links: Link[] = [];
  for (const traceparent of traceparents) {
    const linked = trace.getSpanContext(traceContextOf(traceparent));
    if (linked && trace.isSpanContextValid(linked)) links.push({ context: linked });
  }
  return links;
}

/** Starts a span that the caller ends (with `endSpan`), for work that is not one function call. */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  return tracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: options.attributes,
      links: linksOf(options.links),
    },
    parentContext(options.parent),
  );
}

/** Ends a span, marking it failed with the error when there is one. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const failure = error instanceof Error ? error : new Error(JSON.stringify(error));
    span.recordException(failure);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  }
  span.end();
}

/** Runs `work` in a new active span, which ends when it settles and records its failure. */
export async function inSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  const span = startSpan(name, options);
  try {
    const result = await context.with(trace.setSpan(parentContext(options.parent), span), work);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/** The `traceparent` header of a span, for a record that carries the span's context on. */
export function traceHeadersOf(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return headers;
}

/** `trace_id` and `span_id` of the active span, for log lines; nothing when nothing is traced. */
export function activeTraceFields(): { trace_id: string; span_id: string } | undefined {
  const active = trace.getActiveSpan()?.spanContext();
  if (!active || !trace.isSpanContextValid(active)) return undefined;
  return { trace_id: active.traceId, span_id: active.spanId };
}
