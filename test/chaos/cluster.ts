import { type ServiceName, ServiceProcess } from '../e2e/support/service-process';

/** How many processes of each service run; routing and sla run two so a kill leaves one serving. */
export type Layout = Record<ServiceName, number>;

/** One OS process of a service, by a name the report and the logs use: `sla-2`. */
export class Replica {
  /** Times this process ended without being asked to and was started again. */
  selfExits = 0;
  /** Bumped by every kill and stop: a start-up loop of an older generation gives up. */
  generation = 0;
  /** The replica's lifecycle operations, one at a time: two starts would run two processes. */
  private queue: Promise<unknown> = Promise.resolve();
  constructor(
    readonly name: string,
    readonly process: ServiceProcess,
  ) {}

  get service(): ServiceName {
    return this.process.name;
  }

  /** Runs `operation` after every operation queued before it. */
  serially<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** A replica became ready (`up`) or went down: killed, scaled away, or found dead. */
interface Transition {
  replica: string;
  service: ServiceName;
  at: number;
  up: boolean;
}

const RESTART_PAUSE_MS = 1_000;
const START_DEADLINE_MS = 180_000;

/**
 * The services as separate OS processes, supervised the way an orchestrator would: a process that
 * ends by itself (a Kafka consumer kafkajs could not restart exits non-zero by design) is started
 * again and counted. Faults kill processes through `kill`, which the supervisor leaves alone.
 */
export class Cluster {
  private readonly replicas = new Map<string, Replica>();
  /** Replicas deliberately down: killed by a fault and not yet restarted, or scaled away. */
  private readonly down = new Set<string>();
  private nextPort: number;
  private supervisor: NodeJS.Timeout | undefined;
  private readonly restarting = new Set<string>();
  private readonly transitions: Transition[] = [];

  constructor(
    private readonly env: Record<string, string>,
    basePort: number,
  ) {
    this.nextPort = basePort;
  }

  /** Starts the layout one process at a time: the first of each service migrates its schema. */
  async start(layout: Layout): Promise<void> {
    for (const [service, count] of Object.entries(layout) as Array<[ServiceName, number]>) {
      for (let i = 0; i < count; i++) await this.add(service);
    }
    this.supervisor = setInterval(() => this.supervise(), 1_000);
  }

  /** Every replica meant to be running. */
  running(): Replica[] {
    return [...this.replicas.values()].filter((replica) => !this.down.has(replica.name));
  }

  of(service: ServiceName): Replica[] {
    return this.running().filter((replica) => replica.service === service);
  }

  all(): Replica[] {
    return [...this.replicas.values()];
  }

  /**
   * The first instant from `at` on at which some replica of `service` was ready: `at` itself when
   * one was, Infinity when none ever was again. A timer due while every replica was down can fire
   * no sooner.
   */
  servingFrom(service: ServiceName, at: number): number {
    const ready = new Set<string>();
    const ofService = this.transitions.filter((transition) => transition.service === service);
    for (const transition of ofService) {
      if (transition.at > at && ready.size > 0) return at;
      if (transition.up) ready.add(transition.replica);
      else ready.delete(transition.replica);
      if (transition.at > at && ready.size > 0) return transition.at;
    }
    return ready.size > 0 ? at : Infinity;
  }

  private record(replica: Replica, up: boolean): void {
    this.transitions.push({ replica: replica.name, service: replica.service, at: Date.now(), up });
  }

  /** A running replica's base URL, round robin, for the load's HTTP requests. */
  url(service: ServiceName, turn: number): string | undefined {
    const candidates = this.of(service);
    return candidates.length === 0 ? undefined : candidates[turn % candidates.length].process.url;
  }

  /** kill -9: no drain, no goodbye to the consumer group. A start-up in progress is abandoned. */
  async kill(replica: Replica): Promise<void> {
    this.down.add(replica.name);
    this.record(replica, false);
    replica.generation++;
    await replica.process.stop('SIGKILL');
    await replica.serially(() => replica.process.stop('SIGKILL'));
  }

  async restart(replica: Replica): Promise<void> {
    await this.startUntilReady(replica);
    this.down.delete(replica.name);
  }

  /** Adds or drains (SIGTERM, as a scale-down does) replicas of one service until `count` run. */
  async scale(service: ServiceName, count: number): Promise<void> {
    while (this.of(service).length < count) {
      const idle = this.all().find((replica) => replica.service === service && this.down.has(replica.name));
      if (idle) await this.restart(idle);
      else await this.add(service);
    }
    for (const replica of this.of(service).slice(count).reverse()) {
      this.down.add(replica.name);
      this.record(replica, false);
      replica.generation++;
      await replica.serially(() => replica.process.stop('SIGTERM', 30_000));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.supervisor);
    for (const replica of this.all()) {
      replica.generation++;
      await replica.process.stop('SIGTERM', 30_000);
    }
  }

  private async add(service: ServiceName): Promise<Replica> {
    const count = this.all().filter((replica) => replica.service === service).length;
    const replica = new Replica(
      `${service}-${count + 1}`,
      new ServiceProcess(service, this.nextPort++, {
        ...this.env,
        KAFKA_CLIENT_ID: `ticketflow-${service}-${count + 1}`,
      }),
    );
    this.replicas.set(replica.name, replica);
    await this.startUntilReady(replica);
    return replica;
  }

  /**
   * Starts a process and waits for readiness, starting it again when it exits during start-up,
   * as it may while Postgres or the broker is down: an orchestrator's restart policy.
   */
  private async startUntilReady(replica: Replica): Promise<void> {
    const generation = replica.generation;
    this.restarting.add(replica.name);
    const deadline = Date.now() + START_DEADLINE_MS;
    try {
      await replica.serially(async () => {
        for (;;) {
          // Killed or stopped since this start-up was asked for: the newer operation decides.
          if (replica.generation !== generation) return;
          // Started already by an operation queued before this one (a scale step, say).
          if (replica.process.running) return;
          try {
            await replica.process.start();
            this.record(replica, true);
            return;
          } catch (error) {
            if (Date.now() > deadline) {
              throw new Error(`${replica.name} did not become ready`, { cause: error });
            }
            await replica.process.stop('SIGKILL');
            await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS));
          }
        }
      });
    } finally {
      this.restarting.delete(replica.name);
    }
  }

  private supervise(): void {
    for (const replica of this.running()) {
      if (this.restarting.has(replica.name) || !replica.process.died) continue;
      replica.selfExits++;
      this.record(replica, false);
      this.restarting.add(replica.name);
      void this.startUntilReady(replica).catch((error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
      });
    }
  }
}
