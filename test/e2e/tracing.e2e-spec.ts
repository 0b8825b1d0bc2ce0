import { randomUUID } from 'node:crypto';
import { Topic } from '@app/contracts';
import { type CollectedSpan, SpanCollector, waitFor } from '@app/testing';
import { RunningSystem } from './support/system';

const SERVICES = ['intake', 'routing', 'sla', 'notifications'].map((service) => `ticketflow-${service}`);
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

/** What is wrong with a trace as a single tree: parents it names but does not hold, and its roots. */
function treeFaults(spans: CollectedSpan[]): { orphans: CollectedSpan[]; roots: CollectedSpan[] } {
  const ids = new Set(spans.map((span) => span.spanId));
  return {
    roots: spans.filter((span) => span.parentSpanId === ''),
    orphans: spans.filter((span) => span.parentSpanId !== '' && !ids.has(span.parentSpanId)),
  };
}

/**
 * Traces across every hop, exported by the four service processes' own OpenTelemetry SDKs to an
 * OTLP receiver: one ticket created over HTTP must make one connected trace, from the request
 * through the outbox relays, the consumers, the SLA breach timer and the email's SMTP send.
 */
describe('one trace per ticket across the four services', () => {
  const collector = new SpanCollector();
  let system: RunningSystem;

  beforeAll(async () => {
    system = await RunningSystem.start(await collector.start());
    const agent = await system.http('routing', 'POST', '/v1/agents', {
      name: 'Ada',
      email: `ada.${randomUUID().slice(0, 8)}@agents.example.com`,
      skills: ['lang:en'],
      capacity: 10,
      status: 'online',
    });
    expect(agent.status).toBe(201);
    const policy = await system.http('sla', 'POST', '/v1/sla-policies', {
      name: 'First response in 2 seconds',
      match: {},
      targets: { firstResponse: 'PT2S' },
      position: 10,
    });
    expect(policy.status).toBe(201);
  });

  afterAll(async () => {
    await system?.stop();
    await collector.stop();
  });

  it('follows a ticket from its HTTP request to its acknowledgment email and its SLA breach in one trace', async () => {
    const created = await system.http<{ id: string }>(
      'intake',
      'POST',
      '/v1/tickets',
      {
        channel: 'email',
        customer: { email: `t-${randomUUID()}@customers.example.com` },
        subject: 'Tracing',
        body: 'Where is my order?',
      },
      'publisher',
    );
    expect(created.status).toBe(201);
    await waitFor(
      () => system.events(Topic.SlaEvents, 'sla.breached').some((e) => e.data.ticketId === created.body.id),
      { description: 'sla.breached', timeoutMs: 30_000 },
    );

    // The relay's record carries its send span's context: the trace the ticket's request began.
    const record = system.probe
      .on(system.topic(Topic.TicketEvents))
      .find((message) => message.json<{ subject?: string }>().subject === created.body.id);
    const traceparent = record?.headers.traceparent;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceparent!.split('-')[1];

    const has = (spans: CollectedSpan[], service: string, kind: number, name: RegExp) =>
      spans.some(
        (span) => span.service === `ticketflow-${service}` && span.kind === kind && name.test(span.name),
      );
    const wanted: Array<[string, number, RegExp]> = [
      ['intake', SERVER, /^POST /],
      ['intake', PRODUCER, /tickets\.events\.v1$/],
      ['routing', CONSUMER, /^process .*tickets\.events\.v1$/],
      ['routing', PRODUCER, /routing\.assignments\.v1$/],
      ['sla', CONSUMER, /^process .*tickets\.events\.v1$/],
      ['sla', 1, /^fire sla-timers$/],
      ['sla', PRODUCER, /sla\.events\.v1$/],
      ['notifications', CONSUMER, /^process .*tickets\.events\.v1$/],
      ['notifications', CONSUMER, /^process .*sla\.events\.v1$/],
      ['notifications', CONSUMER, /^deliver email$/],
      ['notifications', 3, /^smtp send$/],
    ];
    const trace = await waitFor(
      () => {
        const spans = collector.trace(traceId);
        const missing = wanted.filter(([service, kind, name]) => !has(spans, service, kind, name));
        const { orphans } = treeFaults(spans);
        return missing.length === 0 && orphans.length === 0 && spans;
      },
      { description: 'every hop of the ticket in its trace', timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      const spans = collector.trace(traceId).map((span) => `${span.service} ${span.kind} ${span.name}`);
      throw new Error(`${String(error)}\n--- spans of ${traceId} ---\n${spans.join('\n')}`);
    });

    expect(new Set(trace.map((span) => span.service))).toEqual(new Set(SERVICES));
    const { roots, orphans } = treeFaults(trace);
    expect(orphans).toEqual([]);
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ service: 'ticketflow-intake', kind: SERVER });
    // Database statements of the ticket's work belong to it too.
    expect(
      trace.some(
        (span) => span.service === 'ticketflow-intake' && /^(pg\.query|INSERT|SELECT)/.test(span.name),
      ),
    ).toBe(true);

    // Log lines written while the breach fired carry its trace id.
    const breachLog = system.services.sla
      .logs()
      .split('\n')
      .find((line) => line.includes('"SLA breached"') && line.includes(created.body.id));
    expect(breachLog).toContain(`"trace_id":"${traceId}"`);
  });

  it('keeps probes and scrapes out of the traces', async () => {
    for (const path of ['/health/ready', '/metrics']) {
      const response = await fetch(`${system.services.intake.url}${path}`);
      expect(response.status).toBe(200);
    }
    // A traced request after them: once its span is in, theirs would have been exported before it.
    const ticket = await system.http('intake', 'GET', `/v1/tickets/${randomUUID()}`, undefined, 'agent');
    expect(ticket.status).toBe(404);
    const gets = () => collector.spans.filter((span) => span.kind === SERVER && span.name.startsWith('GET'));
    await waitFor(() => gets().length > 0, { description: 'the span of the traced request' });
    expect(gets()).toHaveLength(1);
    expect(gets()[0].name).not.toMatch(/health|metrics/);
  });
});
