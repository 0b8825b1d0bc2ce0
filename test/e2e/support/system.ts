import { type AnyEvent, Topic } from '@app/contracts';
import { bearer, createSandbox, KafkaProbe, SmtpSink, type TestSandbox } from '@app/testing';
import { ServiceProcess, type ServiceName } from './service-process';

/**
 * Below Linux's ephemeral range (32768–60999): a port there can be taken at any moment by one of
 * the many client connections the tests open, and the service would then fail to listen.
 */
const BASE_PORT = 21_000 + (process.pid % 200) * 10;

/** The whole system: four service processes on one sandbox, a real SMTP sink and a Kafka probe. */
export class RunningSystem {
  readonly services: Record<ServiceName, ServiceProcess>;
  readonly probe = new KafkaProbe();

  private constructor(
    readonly sandbox: TestSandbox,
    readonly smtp: SmtpSink,
    env: Record<string, string>,
  ) {
    const names: ServiceName[] = ['intake', 'routing', 'sla', 'notifications'];
    this.services = Object.fromEntries(
      names.map((name, i) => [name, new ServiceProcess(name, BASE_PORT + i, env)]),
    ) as Record<ServiceName, ServiceProcess>;
  }

  static async start(env: Record<string, string> = {}): Promise<RunningSystem> {
    const smtp = new SmtpSink();
    const smtpPort = await smtp.start();
    const sandbox = await createSandbox({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      LOG_LEVEL: 'info',
      ...env,
    });
    const system = new RunningSystem(sandbox, smtp, sandbox.env);
    // One service at a time: the first to start creates the shared topics and its schema.
    for (const service of Object.values(system.services)) await service.start();
    await system.probe.watch(
      [
        Topic.TicketEvents,
        Topic.AssignmentEvents,
        Topic.SlaEvents,
        Topic.NotificationEvents,
        `${Topic.TicketsInbound}.dlq`,
      ].map((topic) => system.topic(topic)),
    );
    return system;
  }

  topic(logical: string): string {
    return `${this.sandbox.env.KAFKA_TOPIC_PREFIX}${logical}`;
  }

  /** Events of one type seen so far on the logical topic. */
  events<T extends AnyEvent['type']>(topic: Topic, type: T): Array<Extract<AnyEvent, { type: T }>> {
    return this.probe
      .on(this.topic(topic))
      .map((message) => message.json<AnyEvent>())
      .filter((event): event is Extract<AnyEvent, { type: T }> => event.type === type);
  }

  async http<T = Record<string, unknown>>(
    service: ServiceName,
    method: string,
    path: string,
    body?: unknown,
    key: Parameters<typeof bearer>[0] = 'admin',
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.services[service].url}${path}`, {
      method,
      headers: { authorization: bearer(key), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async stop(): Promise<void> {
    await this.probe.close();
    for (const service of Object.values(this.services)) await service.stop('SIGTERM');
    await this.smtp.stop();
    await this.sandbox.dispose();
  }
}
