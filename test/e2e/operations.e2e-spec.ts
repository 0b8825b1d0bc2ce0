import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type PartitionAssigner } from 'kafkajs';
import { Topic } from '@app/contracts';
import { waitFor } from '@app/testing';
import {
  exposedFamilies,
  familyOf,
  type FamilyType,
  queriedMetrics,
  readObservabilityFiles,
  REDIS_EXPORTER_METRICS,
} from '../../deploy/lint/observability-metrics';
import { ServiceProcess } from './support/service-process';
import { RunningSystem } from './support/system';

/** A member that speaks a protocol no ticketflow consumer offers: whoever joins after it is refused. */
const ForeignAssigner: PartitionAssigner = () => ({
  name: 'ForeignAssigner',
  version: 1,
  assign: ({ members }) =>
    Promise.resolve(
      members.map((member) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: {},
          userData: Buffer.alloc(0),
        }),
      })),
    ),
  protocol: ({ topics }) => ({
    name: 'ForeignAssigner',
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
  }),
});

/** What an operator relies on: probes, metrics, OpenAPI, graceful shutdown and a loud exit (R7, R8). */
describe('operating the four services', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await RunningSystem.start();
    for (const name of ['Ops One', 'Ops Two']) {
      const agent = await system.http('routing', 'POST', '/v1/agents', {
        name,
        email: `${randomUUID().slice(0, 8)}@agents.example.com`,
        skills: [],
        capacity: 200,
        status: 'online',
      });
      expect(agent.status).toBe(201);
    }
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function createTickets(count: number): Promise<string[]> {
    const responses = await Promise.all(
      Array.from({ length: count }, () =>
        system.http<{ id: string }>(
          'intake',
          'POST',
          '/v1/tickets',
          {
            channel: 'web',
            customer: { email: `o-${randomUUID()}@customers.example.com` },
            subject: 'Ops',
            body: 'Hi',
          },
          'publisher',
        ),
      ),
    );
    return responses.map((response) => {
      expect(response.status).toBe(201);
      return response.body.id;
    });
  }

  const assignmentIds = (ticketId: string) =>
    new Set(
      system
        .events(Topic.AssignmentEvents, 'ticket.assigned')
        .filter((event) => event.data.ticketId === ticketId)
        .map((event) => event.id),
    );

  it('every service answers liveness, readiness per dependency, Prometheus metrics and OpenAPI', async () => {
    const [ticketId] = await createTickets(1);
    await waitFor(
      () =>
        system
          .events(Topic.NotificationEvents, 'notification.sent')
          .some((event) => event.data.ticketId === ticketId),
      { description: 'the ticket to travel through every service', timeoutMs: 30_000 },
    );
    const expected = {
      intake: { checks: ['postgres', 'kafka'], metrics: ['outbox_backlog'] },
      routing: {
        checks: ['postgres', 'kafka', 'redis'],
        metrics: [
          'outbox_backlog',
          'routing_queue_depth',
          'routing_timer_queue_depth',
          'routing_decision_seconds',
        ],
      },
      sla: { checks: ['postgres', 'kafka', 'redis'], metrics: ['outbox_backlog', 'sla_queue_depth'] },
      notifications: {
        checks: ['postgres', 'kafka', 'redis', 'smtp'],
        metrics: ['outbox_backlog', 'notification_queue_depth'],
      },
    };
    for (const [name, service] of Object.entries(system.services)) {
      const { checks, metrics } = expected[name as keyof typeof expected];
      const live = await fetch(`${service.url}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${service.url}/health/ready`);
      const report = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
      expect({ name, status: ready.status, body: report.status }).toEqual({ name, status: 200, body: 'ok' });
      expect(Object.keys(report.checks).sort()).toEqual([...checks].sort());

      const exposition = await (await fetch(`${service.url}/metrics`)).text();
      for (const metric of ['http_request_duration_seconds', 'events_consumed_total', ...metrics]) {
        expect({ name, metric, exposed: exposition.includes(`# TYPE ${metric} `) }).toEqual({
          name,
          metric,
          exposed: true,
        });
      }
      expect(exposition).toMatch(/events_consumed_total\{[^}]*outcome="processed"[^}]*\} [1-9]/);

      const openApi = (await (await fetch(`${service.url}/docs-json`)).json()) as {
        security: unknown[];
        paths: Record<string, Record<string, { security?: unknown[] }>>;
      };
      expect(Object.keys(openApi.paths).length).toBeGreaterThan(1);
      // Bearer everywhere except the public probes, as the document says.
      expect(openApi.security).toEqual([{ bearer: [] }]);
      expect(openApi.paths['/health/ready'].get.security).toEqual([]);
      expect(openApi.paths['/health/live'].get.security).toEqual([]);
    }
  });

  it('exposes every metric the alert rules and the dashboard query, ready and with a consumer lag', async () => {
    const files = readObservabilityFiles(join(__dirname, '..', '..', 'deploy', 'observability'));
    expect(files.problems).toEqual([]);
    const exposed = new Map<string, FamilyType>();
    const lagSample = /^kafka_consumer_lag_messages\{[^}]*topic="[^"]+"[^}]*\} \d+$/m;
    for (const [name, service] of Object.entries(system.services)) {
      // Real values too, not only declared families: a lag read from Kafka (the first read connects,
      // and may miss its 2 s on a busy machine) and readiness as /health/ready answers it.
      const exposition = await waitFor(
        async () => {
          const text = await (await fetch(`${service.url}/metrics`)).text();
          return lagSample.test(text) && text;
        },
        { description: `${name} to report its consumer lag`, timeoutMs: 30_000, intervalMs: 500 },
      );
      expect({ name, ready: /^service_ready\{[^}]*\} 1$/m.test(exposition) }).toEqual({ name, ready: true });
      for (const [family, type] of exposedFamilies(exposition)) exposed.set(family, type);
    }
    // redis_exporter's metrics come from Redis's exporter, which this system does not run.
    const missing = [...files.alerts, ...files.dashboard].flatMap(({ where, expr }) =>
      queriedMetrics(expr)
        .filter((metric) => !REDIS_EXPORTER_METRICS.has(metric) && familyOf(metric, exposed) === undefined)
        .map((metric) => `${where}: ${metric}`),
    );
    expect(missing).toEqual([]);
  });

  it('SIGTERM drains in-flight work and exits 0; after a restart nothing is lost or applied twice', async () => {
    const routing = system.services.routing;
    const tickets = await createTickets(60);
    await waitFor(() => tickets.filter((id) => assignmentIds(id).size > 0).length >= 5, {
      description: 'routing to be mid-stream',
      intervalMs: 20,
      timeoutMs: 60_000,
    });
    expect(await routing.stop('SIGTERM')).toBe(0);
    const errors = routing
      .logs()
      .split('\n')
      .filter((line) => /"level":"(error|fatal)"/.test(line));
    expect(errors).toEqual([]);

    await routing.start();
    await waitFor(() => tickets.every((id) => assignmentIds(id).size > 0), {
      description: 'every ticket assigned after the restart',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    for (const id of tickets) expect(assignmentIds(id).size).toBe(1);
  });

  it('a consumer that cannot join its group ends the process non-zero, saying why', async () => {
    const groupId = `${system.sandbox.env.KAFKA_TOPIC_PREFIX}shared-by-mistake`;
    const kafka = new Kafka({
      clientId: 'foreign',
      brokers: system.sandbox.env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const foreign = kafka.consumer({ groupId, partitionAssigners: [ForeignAssigner] });
    const joined = new Promise<void>((resolve) => foreign.on(foreign.events.GROUP_JOIN, () => resolve()));
    await foreign.connect();
    await foreign.subscribe({ topics: [system.topic(Topic.TicketEvents)] });
    await foreign.run({ eachMessage: () => Promise.resolve() });
    await joined;

    const misconfigured = new ServiceProcess('routing', system.services.routing.port + 100, {
      ...system.sandbox.env,
      KAFKA_GROUP_ID: groupId,
    });
    try {
      await misconfigured.start().catch(() => undefined);
      const code = await misconfigured.waitForExit(60_000);
      expect(code).toBe(1);
      expect(misconfigured.logs()).toContain('Kafka consumer failed and cannot recover; exiting');
    } finally {
      await misconfigured.stop('SIGKILL');
      await foreign.disconnect();
    }
  });
});
