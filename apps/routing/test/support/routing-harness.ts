import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  type AnyEvent,
  buildEvent,
  type Priority,
  serializeEvent,
  type TicketMetadata,
  Topic,
} from '@app/contracts';
import { bearer, createSandbox, KafkaProbe, startServiceApp, type TestSandbox } from '@app/testing';
import { loadRoutingConfig } from '../../src/config/routing.config';
import { RoutingModule } from '../../src/routing.module';

const INTAKE = 'ticketflow/intake';

/** Routing in-process over a private slice of real Postgres, Redis and Kafka, fed intake's events. */
export class RoutingHarness {
  sandbox!: TestSandbox;
  app!: INestApplication;
  readonly probe = new KafkaProbe();
  private readonly replicas: INestApplication[] = [];

  static async start(overrides: Record<string, string> = {}): Promise<RoutingHarness> {
    const harness = new RoutingHarness();
    harness.sandbox = await createSandbox({
      ROUTING_RECONCILE_INTERVAL_MS: '500',
      ROUTING_TIMER_ROUND_MS: '500',
      ...overrides,
    });
    harness.app = await harness.startReplica();
    await harness.probe.watch([harness.topic(Topic.AssignmentEvents), harness.topic(Topic.AgentEvents)]);
    return harness;
  }

  async startReplica(): Promise<INestApplication> {
    const app = await startServiceApp(RoutingModule.forRoot(loadRoutingConfig(this.sandbox.env)));
    this.replicas.push(app);
    return app;
  }

  async stop(): Promise<void> {
    await this.probe.close();
    for (const app of this.replicas) await app.close();
    await this.sandbox?.dispose();
  }

  topic(logical: string): string {
    return `${this.sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
  }

  get http() {
    return request(this.app.getHttpServer() as Server);
  }

  get db(): DataSource {
    return this.app.get(DataSource);
  }

  async agent(body: Record<string, unknown>): Promise<string> {
    const response = await this.http
      .post('/v1/agents')
      .set('authorization', bearer('admin'))
      .send({
        email: `${randomUUID()}@agents.example.com`,
        skills: [],
        capacity: 5,
        status: 'online',
        ...body,
      })
      .expect(201);
    return (response.body as { id: string }).id;
  }

  patchAgent(id: string, body: Record<string, unknown>) {
    return this.http.patch(`/v1/agents/${id}`).set('authorization', bearer('admin')).send(body).expect(200);
  }

  async team(body: Record<string, unknown>): Promise<string> {
    const response = await this.http
      .post('/v1/teams')
      .set('authorization', bearer('admin'))
      .send({ name: `team-${randomUUID().slice(0, 8)}`, skills: [], ...body })
      .expect(201);
    return (response.body as { id: string }).id;
  }

  async rule(body: Record<string, unknown>): Promise<string> {
    const response = await this.http
      .post('/v1/routing-rules')
      .set('authorization', bearer('admin'))
      .send(body)
      .expect(201);
    return (response.body as { id: string }).id;
  }

  assignment(ticketId: string) {
    return this.http.get(`/v1/assignments/${ticketId}`).set('authorization', bearer('agent')).expect(200);
  }

  /** Publishes intake's ticket.created and returns the ticket id. */
  async ticket(
    attributes: {
      priority?: Priority;
      language?: string | null;
      tags?: string[];
      metadata?: TicketMetadata;
    } = {},
  ): Promise<string> {
    const ticketId = randomUUID();
    await this.publish(
      buildEvent(
        'ticket.created',
        {
          ticketId,
          reference: 'TCK-000001',
          status: 'new',
          channel: 'email',
          priority: attributes.priority ?? 'normal',
          subject: 'Help',
          category: null,
          tags: attributes.tags ?? [],
          language: attributes.language ?? null,
          externalId: null,
          metadata: attributes.metadata,
          customer: { id: randomUUID(), email: 'c@example.com', name: null, locale: null },
          createdAt: new Date().toISOString(),
        },
        { source: INTAKE, subject: ticketId },
      ),
    );
    return ticketId;
  }

  status(ticketId: string, from: 'new' | 'open' | 'solved', to: 'open' | 'solved' | 'closed') {
    return this.publish(
      buildEvent(
        'ticket.status.changed',
        { ticketId, from, to, reason: 'agent', changedAt: new Date().toISOString() },
        { source: INTAKE, subject: ticketId },
      ),
    );
  }

  firstResponse(ticketId: string, agentId: string) {
    return this.publish(
      buildEvent(
        'ticket.message.added',
        {
          ticketId,
          messageId: randomUUID(),
          author: 'agent',
          agentId,
          internal: false,
          firstResponse: true,
          nextResponse: false,
          createdAt: new Date().toISOString(),
        },
        { source: INTAKE, subject: ticketId },
      ),
    );
  }

  async publish(event: AnyEvent): Promise<void> {
    await this.probe.publish(this.topic(Topic.TicketEvents), serializeEvent(event), event.subject);
  }

  /** Routing's events about one ticket, in order. */
  eventsOf(ticketId: string): AnyEvent[] {
    return this.probe
      .on(this.topic(Topic.AssignmentEvents))
      .map((message) => message.json<AnyEvent>())
      .filter((event) => event.subject === ticketId);
  }

  /** The agent a ticket is with now, from the latest assigned or reassigned event. */
  ownerOf(ticketId: string): string | undefined {
    let owner: string | undefined;
    for (const event of this.eventsOf(ticketId)) {
      if (event.type === 'ticket.assigned' || event.type === 'ticket.reassigned') owner = event.data.agentId;
      if (event.type === 'ticket.unassigned') owner = undefined;
    }
    return owner;
  }
}
