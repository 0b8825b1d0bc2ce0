import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type Redis } from 'ioredis';
import { REPO_ROOT, waitFor } from '@app/testing';
import { type ServiceName } from '../e2e/support/service-process';
import { type Cluster } from './cluster';
import { type SeededRandom } from './random';

export type FaultKind =
  'kill' | 'redis_flush' | 'redis_restart' | 'broker_restart' | 'postgres_restart' | 'scale';

export interface Fault {
  kind: FaultKind;
  /** Milliseconds after the load started. */
  at: number;
  /** A replica to kill, or the service to scale. */
  target?: string;
  /** How long the target stays down (kills and restarts), or stays scaled up. */
  downMs: number;
}

export interface FaultLog {
  fault: Fault;
  startedAt: number;
  endedAt?: number;
  /** An infrastructure restart: when the component answered again. */
  backAt?: number;
  /** An infrastructure restart: how long from `backAt` until every replica was ready. */
  readyAfterMs?: number;
  error?: string;
}

/** Which faults a run injects: every kind by default; `CHAOS_FAULTS=kill,redis_flush` picks some. */
export const ALL_INFRA_FAULTS: FaultKind[] = [
  'redis_flush',
  'redis_restart',
  'broker_restart',
  'postgres_restart',
  'scale',
];

/**
 * Draws the faults from the seed. Kills fall anywhere in the window, on any replica the layout
 * starts. The infrastructure faults are dealt into equal slots in a shuffled order, one per slot,
 * so each kind is as likely as any other to come early or late and two never overlap.
 */
export function planFaults(
  random: SeededRandom,
  windowMs: number,
  kills: number,
  infra: FaultKind[],
  replicaNames: string[],
  scaleService: ServiceName,
): Fault[] {
  const faults: Fault[] = [];
  for (let i = 0; i < kills; i++) {
    faults.push({
      kind: 'kill',
      at: random.int(5_000, windowMs),
      target: random.pick(replicaNames),
      downMs: random.int(1_000, 8_000),
    });
  }
  const order = random.shuffle(infra);
  const slot = Math.floor(windowMs / Math.max(1, order.length));
  order.forEach((kind, i) => {
    faults.push({
      kind,
      at: i * slot + random.int(Math.min(5_000, slot / 4), Math.max(5_000, slot / 2)),
      ...(kind === 'scale' && { target: scaleService }),
      downMs: kind === 'scale' ? random.int(15_000, Math.max(15_000, slot / 2)) : random.int(2_000, 6_000),
    });
  });
  return faults.sort((a, b) => a.at - b.at);
}

/** Runs a shell command of the chaos infrastructure; its output goes to the run's log on failure. */
function infraComponent(env: Record<string, string>, component: string, action: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', [resolve(REPO_ROOT, 'test/chaos/infra-component.sh'), component, action], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) =>
      code === 0
        ? resolveRun()
        : reject(new Error(`${component} ${action} exited ${code}: ${output.slice(-2_000)}`)),
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Injects the planned faults at their times. Kills run on their own; the infrastructure faults run
 * one after another. `run` resolves when every fault has ended and its target is back.
 */
export class FaultInjector {
  readonly log: FaultLog[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly redis: Redis,
    private readonly infraEnv: Record<string, string>,
    private readonly say: (line: string) => void,
  ) {}

  async run(faults: Fault[], startedAt: number): Promise<void> {
    await Promise.all(
      faults.map(async (fault) => {
        await sleep(Math.max(0, startedAt + fault.at - Date.now()));
        const entry: FaultLog = { fault, startedAt: Date.now() };
        this.log.push(entry);
        this.say(
          `fault ${fault.kind}${fault.target ? ` ${fault.target}` : ''} at +${Math.round(fault.at / 1000)} s`,
        );
        try {
          await this.inject(fault, entry);
        } catch (error) {
          entry.error = String(error);
          this.say(`fault ${fault.kind} failed: ${entry.error.slice(0, 500)}`);
        } finally {
          entry.endedAt = Date.now();
        }
      }),
    );
  }

  /** Resolves once the fault is over; an infrastructure restart, once every replica is ready again. */
  private async inject(fault: Fault, entry: FaultLog): Promise<void> {
    switch (fault.kind) {
      case 'kill': {
        const replica = this.cluster.all().find((candidate) => candidate.name === fault.target);
        // A replica already down (killed moments ago, or scaled away) is not killed twice.
        if (!replica || !this.cluster.running().includes(replica)) return;
        await this.cluster.kill(replica);
        await sleep(fault.downMs);
        await this.cluster.restart(replica);
        return;
      }
      case 'redis_flush':
        await this.redis.flushall();
        return;
      case 'redis_restart':
        return this.restart('redis', fault.downMs, entry);
      case 'broker_restart':
        return this.restart('kafka', fault.downMs, entry);
      case 'postgres_restart':
        return this.restart('postgres', fault.downMs, entry);
      case 'scale': {
        const service = fault.target as ServiceName;
        await this.cluster.scale(service, 3);
        await sleep(fault.downMs);
        await this.cluster.scale(service, 1);
        return;
      }
    }
  }

  private async restart(
    component: 'redis' | 'kafka' | 'postgres',
    downMs: number,
    entry: FaultLog,
  ): Promise<void> {
    await infraComponent(this.infraEnv, component, 'crash');
    await sleep(downMs);
    await infraComponent(this.infraEnv, component, 'start');
    entry.backAt = Date.now();
    entry.readyAfterMs = await this.untilReplicasReady();
  }

  /**
   * The end of the Postgres or Redis outage `at` falls in, or `at` when none: SLA timers need both
   * to fire, so one due during an outage can fire no sooner.
   */
  timerStoresBackFrom(at: number): number {
    const outage = this.log.find(
      (entry) =>
        (entry.fault.kind === 'postgres_restart' || entry.fault.kind === 'redis_restart') &&
        entry.startedAt <= at &&
        at < (entry.backAt ?? Infinity),
    );
    return outage ? (outage.backAt ?? Infinity) : at;
  }

  /**
   * How long every replica meant to be running takes to answer ready (R7); a replica starting
   * again after a kill counts too, as an operator's dashboard would show it.
   */
  private async untilReplicasReady(): Promise<number> {
    const from = Date.now();
    await waitFor(
      async () => {
        for (const replica of this.cluster.running()) {
          const response = await fetch(`${replica.process.url}/health/ready`).catch(() => undefined);
          if (!response?.ok) return false;
        }
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 250, description: 'every replica ready again' },
    );
    return Date.now() - from;
  }
}
