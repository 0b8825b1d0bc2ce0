import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT, waitFor } from '@app/testing';

export type ServiceName = 'intake' | 'routing' | 'sla' | 'notifications';
export const SERVICE_NAMES: readonly ServiceName[] = ['intake', 'routing', 'sla', 'notifications'];

export const SERVICE_PORTS: Record<ServiceName, string> = {
  intake: 'INTAKE_PORT',
  routing: 'ROUTING_PORT',
  sla: 'SLA_PORT',
  notifications: 'NOTIFICATIONS_PORT',
};

/** One service as a real OS process, started from the compiled build the way production runs it. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private stopping = false;
  readonly output: string[] = [];

  /** `nodeArgs` go before the entry point, e.g. `--cpu-prof` for a benchmark's profile. */
  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process's pid, e.g. to read its CPU time from /proc. */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error(`${this.name} was never started`);
    return this.child.pid;
  }

  /** Whether a process is running now, whoever started it. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether the process ended without being asked to. */
  get died(): boolean {
    return !this.stopping && this.child !== undefined && this.child.exitCode !== null;
  }

  async start(): Promise<void> {
    const entry = resolve(REPO_ROOT, `dist/apps/${this.name}/src/main.js`);
    if (!existsSync(entry))
      throw new Error(`${entry} is missing: run \`npm run build\` before the e2e tests`);
    if (this.running) {
      // A second child would orphan the first, which would keep the port and its consumer group seat.
      throw new Error(
        `${this.name} is still running (pid ${this.child?.pid}): stop it before starting it again`,
      );
    }
    this.stopping = false;
    const child = spawn(process.execPath, [...this.nodeArgs, entry], {
      env: { ...process.env, ...this.env, [SERVICE_PORTS[this.name]]: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 2_000) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // 'close', not 'exit': only then has everything the process wrote reached `output`.
    this.exited = new Promise((resolveExit) => child.once('close', (code) => resolveExit(code)));
    const outcome = await waitFor(
      async () => {
        if (child.exitCode !== null) return 'exited';
        const response = await fetch(`${this.url}/health/ready`).catch(() => undefined);
        return response?.ok ? 'ready' : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: `${this.name} to become ready` },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- ${this.name} output ---\n${this.logs().slice(-3_000)}`);
    });
    if (outcome === 'exited') {
      const code = await this.exited;
      throw new Error(`${this.name} exited with ${code} during start-up:\n${this.logs().slice(-3_000)}`);
    }
  }

  /**
   * Sends the signal and resolves with the exit code. With `killAfterMs`, a process still
   * draining after that long gets SIGKILL.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs?: number): Promise<number | null> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    child.kill(signal);
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      return (await this.exited) ?? null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with the exit code once the process has ended by itself, or fails after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    if (!this.exited) throw new Error(`${this.name} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  logs(): string {
    return this.output.join('');
  }
}
