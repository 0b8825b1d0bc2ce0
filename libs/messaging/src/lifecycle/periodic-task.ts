import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

/**
 * Work that runs once at start-up, then every `intervalMs`, never overlapping itself. The start-up
 * round must succeed (a service that cannot reconcile should not claim to be up); a later round
 * that fails is logged and the next one retries. Shutdown waits for the round in progress.
 */
export abstract class PeriodicTask implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly logger = new Logger(this.constructor.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  protected abstract readonly intervalMs: number;

  /** One round; public so tests and callers can force a round now. */
  abstract runOnce(): Promise<unknown>;

  async onApplicationBootstrap(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => {
      this.running ??= this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.error({
            msg: 'Periodic round failed; the next one retries',
            error: (error as Error).message,
          }),
        )
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
