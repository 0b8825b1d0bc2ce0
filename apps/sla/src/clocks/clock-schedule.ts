import { parseIsoDuration } from '@app/contracts';
import { addBusinessTime, ALWAYS_OPEN, type BusinessCalendar } from '../calendars/business-time';
import { type SlaPolicy } from '../policies/sla-policy.entity';
import { type SlaJobData } from './sla-timers';
import { type SlaClock } from './sla-clock.entity';

export interface ScheduledTimer {
  job: SlaJobData;
  at: Date;
}

type ClockTimes = Pick<
  SlaClock,
  | 'id'
  | 'epoch'
  | 'state'
  | 'targetMs'
  | 'elapsedMs'
  | 'runningSince'
  | 'warned'
  | 'breachedAt'
  | 'escalatedSteps'
  | 'stoppedAt'
>;

/** When a running clock runs out: what is left of the target, counted on the calendar from `runningSince`. */
export function dueAtOf(
  clock: Pick<ClockTimes, 'targetMs' | 'elapsedMs' | 'runningSince'>,
  calendar: BusinessCalendar | null,
): Date {
  if (!clock.runningSince) throw new Error('Only a running clock has a due time to compute');
  return addBusinessTime(
    calendar ?? ALWAYS_OPEN,
    clock.runningSince,
    Math.max(0, clock.targetMs - clock.elapsedMs),
  );
}

/** When a rung of the warning ladder is reached: `fraction` of the target used up. */
export function warningAtOf(
  clock: Pick<ClockTimes, 'targetMs' | 'elapsedMs' | 'runningSince'>,
  calendar: BusinessCalendar | null,
  fraction: number,
): Date {
  if (!clock.runningSince) throw new Error('Only a running clock has warnings to compute');
  const remaining = Math.max(0, Math.round(clock.targetMs * fraction) - clock.elapsedMs);
  return addBusinessTime(calendar ?? ALWAYS_OPEN, clock.runningSince, remaining);
}

/**
 * Every timer a clock needs now: a running clock its breach and the warnings not yet given; a
 * breached clock the escalation steps still to come. Stopped, met and paused clocks need none.
 */
export function timersOf(
  clock: ClockTimes,
  policy: Pick<SlaPolicy, 'warnAt' | 'escalation'>,
  calendar: BusinessCalendar | null,
): ScheduledTimer[] {
  if (clock.state === 'running') {
    const timers: ScheduledTimer[] = [
      { job: { kind: 'breach', clockId: clock.id, epoch: clock.epoch }, at: dueAtOf(clock, calendar) },
    ];
    for (const fraction of policy.warnAt) {
      if (clock.warned.includes(fraction)) continue;
      timers.push({
        job: { kind: 'warning', clockId: clock.id, epoch: clock.epoch, fraction },
        at: warningAtOf(clock, calendar, fraction),
      });
    }
    return timers;
  }
  if (clock.state === 'breached' && clock.breachedAt && !clock.stoppedAt) {
    const next = policy.escalation[clock.escalatedSteps];
    if (!next) return [];
    return [
      {
        job: { kind: 'escalation', clockId: clock.id, step: clock.escalatedSteps },
        at: new Date(clock.breachedAt.getTime() + parseIsoDuration(next.after)),
      },
    ];
  }
  return [];
}
