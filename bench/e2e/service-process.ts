import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT, waitFor } from '@app/testing';

export type ServiceName = 'intake' | 'routing' | 'sla' | 'notifications';

export const SERVICE_NAMES: readonly ServiceName[] = ['intake', 'routing', 'sla', 'notifications'];

const PORT_VARIABLE: Record<ServiceName, string> = {
  intake: 'INTAKE_PORT',
  routing: 'ROUTING_PORT',
  sla: 'SLA_PORT',
  notifications: 'NOTIFICATIONS_PORT',
};

/**
 * One service from `dist/` as its own OS process, as test/e2e starts it, but exposing the pid: the
 * benchmark reads the process's CPU time from /proc. Output is kept (bounded) only to explain a
 * death; at LOG_LEVEL=warn there is little of it.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private stopping = false;
  private readonly output: string[] = [];
  private outputChars = 0;

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (this.child?.pid === undefined) throw new Error(`${this.name} was never started`);
    return this.child.pid;
  }

  /** Set once the process ended without being asked to. */
  get died(): boolean {
    return !this.stopping && this.child !== undefined && this.child.exitCode !== null;
  }

  async start(): Promise<void> {
    const entry = resolve(REPO_ROOT, `dist/apps/${this.name}/src/main.js`);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
    // BENCH_CPU_PROFILE_DIR: each service writes a V8 CPU profile there when it exits.
    const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(process.execPath, [...profile, entry], {
      env: { ...process.env, ...this.env, [PORT_VARIABLE[this.name]]: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output.push(text);
      this.outputChars += text.length;
      while (this.outputChars > 20_000 && this.output.length > 1) {
        this.outputChars -= this.output.shift()?.length ?? 0;
      }
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
      { timeoutMs: 120_000, intervalMs: 250, description: `${this.name} to become ready` },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- ${this.name} output ---\n${this.logs()}`);
    });
    if (outcome === 'exited') {
      const code = await this.exited;
      throw new Error(`${this.name} exited with ${code} during start-up:\n${this.logs()}`);
    }
  }

  /** SIGTERM, then SIGKILL if the drain outlasts `graceMs`; resolves with the exit code. */
  async stop(graceMs = 30_000): Promise<number | null> {
    this.stopping = true;
    const child = this.child;
    if (!child || !this.exited) return null;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  logs(): string {
    return this.output.join('').slice(-4_000);
  }
}
