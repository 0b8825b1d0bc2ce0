/** Queue and job names are part of the data in Redis: frozen strings, never class names. */
export enum SlaQueue {
  Timers = 'sla-timers',
}

export enum SlaJobName {
  Breach = 'sla.breach',
}

/** Ids only, never personal data (S4). */
export interface BreachJob {
  name: SlaJobName.Breach;
  data: { clockId: string; epoch: number };
}

/** Deterministic per clock and epoch: re-arming the same deadline is a no-op, a new epoch a new job. */
export function breachJobId(clockId: string, epoch: number): string {
  return `breach-${clockId}-${epoch}`;
}
