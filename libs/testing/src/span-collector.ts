import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

/** One span as an OTLP exporter sent it, with the service that sent it. */
export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a trace's root. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  links: Array<{ traceId: string; spanId: string }>;
}

interface OtlpValue {
  stringValue?: string;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: OtlpValue }> };
    scopeSpans?: Array<{
      spans?: Array<Omit<CollectedSpan, 'service' | 'links'> & { links?: CollectedSpan['links'] }>;
    }>;
  }>;
}

/** Exports bigger than this are refused: the services under test send a few spans at a time. */
const MAX_EXPORT_BYTES = 8 * 1024 * 1024;

/**
 * A real OTLP/HTTP trace receiver on loopback (JSON encoding, `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`)
 * that keeps every span in memory, so a test can check what the services' own exporters sent.
 */
export class SpanCollector {
  readonly spans: CollectedSpan[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_EXPORT_BYTES) chunks.push(chunk);
      });
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces' || size > MAX_EXPORT_BYTES) {
          response.writeHead(size > MAX_EXPORT_BYTES ? 413 : 404).end();
          return;
        }
        this.collect(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  /** Starts listening; returns the environment that points a service's exporter here. */
  async start(): Promise<Record<string, string>> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = this.server.address() as AddressInfo;
    return {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      // Exported within a fraction of a second, so a test waits for spans, not for batches.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Every span of one trace, in the order they arrived. */
  trace(traceId: string): CollectedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  private collect(body: OtlpExport): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service =
        resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value
          .stringValue ?? 'unknown';
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
          });
        }
      }
    }
  }
}
