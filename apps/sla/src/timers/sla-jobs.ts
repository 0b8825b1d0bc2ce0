/** Queue and job names are part of the data in Redis: frozen strings, never class names. */
export enum SlaQueue {
  Timers = 'sla-timers',
}

export enum SlaJobName {
  Breach = 'sla.breach',
  Warning = 'sla.warning',
  Escalation = 'sla.escalation',
}

/** Ids only, never personal data (S4). */
export type SlaJobData =
  | { kind: 'breach'; clockId: string; epoch: number }
  | { kind: 'warning'; clockId: string; epoch: number; fraction: number }
  | { kind: 'escalation'; clockId: string; step: number };

/**
 * Deterministic per clock and epoch (per step for escalations, which follow a breach that never
 * moves): re-arming the same timer is a no-op, a new epoch a new job.
 */
export function slaJobId(job: SlaJobData): string {
  switch (job.kind) {
    case 'breach':
      return `breach-${job.clockId}-${job.epoch}`;
    case 'warning':
      return `warning-${job.clockId}-${job.epoch}-${job.fraction}`;
    case 'escalation':
      return `escalation-${job.clockId}-${job.step}`;
  }
}

export const JOB_NAME: Record<SlaJobData['kind'], SlaJobName> = {
  breach: SlaJobName.Breach,
  warning: SlaJobName.Warning,
  escalation: SlaJobName.Escalation,
};
