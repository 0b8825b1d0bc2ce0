import { Injectable, Logger } from '@nestjs/common';
import { withTimeout } from './with-timeout';

export type ReadinessCheck = () => Promise<void>;

export interface ReadinessCheckOptions {
  /**
   * Whether the service can serve and consume without this dependency. A dependency it cannot do
   * without (Postgres, Kafka, Redis) makes the service unready when down; one it only delivers to
   * (an SMTP relay) shows as `degraded`, so an orchestrator does not take the API down with it.
   */
  required?: boolean;
}

export type CheckStatus = 'up' | 'down' | 'degraded';

export interface ReadinessReport {
  ready: boolean;
  /** Only the check's name and status: the reason, which may name internal hosts, is logged. */
  checks: Record<string, { status: CheckStatus }>;
  draining?: string;
}

interface RegisteredCheck {
  check: ReadinessCheck;
  required: boolean;
  /** The last outcome, so a failure and the recovery are logged once each, not at every probe. */
  failing: boolean;
}

/** Readiness checks registered by the modules that own each dependency; a check throws when not ready. */
@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  private readonly checks = new Map<string, RegisteredCheck>();
  private drainingReason: string | undefined;

  constructor(private readonly timeoutMs = 2_000) {}

  register(name: string, check: ReadinessCheck, { required = true }: ReadinessCheckOptions = {}): void {
    this.checks.set(name, { check, required, failing: false });
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
      [...this.checks].map(async ([name, registered]) => [name, await this.run(name, registered)] as const),
    );
    const ready = !this.drainingReason && entries.every(([, status]) => status !== 'down');
    return {
      ready,
      checks: Object.fromEntries(entries.map(([name, status]) => [name, { status }])),
      ...(this.drainingReason ? { draining: this.drainingReason } : {}),
    };
  }

  private async run(name: string, registered: RegisteredCheck): Promise<CheckStatus> {
    try {
      await withTimeout(registered.check(), this.timeoutMs);
      if (registered.failing) this.logger.log({ msg: 'Dependency answers again', check: name });
      registered.failing = false;
      return 'up';
    } catch (error) {
      if (!registered.failing) {
        this.logger.warn({
          msg: registered.required ? 'Dependency down: not ready' : 'Dependency down: degraded',
          check: name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      registered.failing = true;
      return registered.required ? 'down' : 'degraded';
    }
  }
}
