import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { status: 'up' | 'down'; error?: string }>;
  draining?: string;
}

/** Readiness checks registered by the modules that own each dependency; a check throws when not ready. */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, ReadinessCheck>();
  private drainingReason: string | undefined;

  constructor(private readonly timeoutMs = 2_000) {}

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** During shutdown: tell the load balancer to stop sending traffic while work drains. */
  setNotReady(reason: string): void {
    this.drainingReason = reason;
  }

  clearNotReady(): void {
    this.drainingReason = undefined;
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await this.run(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ready = !this.drainingReason && entries.every(([, result]) => result.status === 'up');
    return { ready, checks, ...(this.drainingReason ? { draining: this.drainingReason } : {}) };
  }

  private async run(check: ReadinessCheck): Promise<{ status: 'up' | 'down'; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([check(), timeout]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
