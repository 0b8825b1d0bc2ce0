/** Queue and job names are part of the data in Redis: frozen strings, never class names. */
export enum RoutingQueue {
  Timers = 'routing-timers',
}

export enum RoutingJobName {
  Overflow = 'routing.overflow',
}

/** Ids only, never personal data. */
export interface OverflowJobData {
  tenant: string;
  ticketId: string;
  epoch: number;
}

/** Deterministic per assignment epoch: re-arming is a no-op, a new assignee a new job. */
export function overflowJobId(ticketId: string, epoch: number): string {
  return `overflow-${ticketId}-${epoch}`;
}
