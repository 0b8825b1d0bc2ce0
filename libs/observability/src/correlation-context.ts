import { AsyncLocalStorage } from 'node:async_hooks';

export interface Correlation {
  correlationId: string;
  causationId?: string;
  tenant?: string;
}

const storage = new AsyncLocalStorage<Correlation>();

/** Runs `fn` with a correlation that every log line and every emitted event inside it inherits. */
export function runWithCorrelation<T>(correlation: Correlation, fn: () => T): T {
  return storage.run(correlation, fn);
}

export function currentCorrelation(): Correlation | undefined {
  return storage.getStore();
}
