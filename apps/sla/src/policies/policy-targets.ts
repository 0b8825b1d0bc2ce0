import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isIsoDuration, parseIsoDuration } from '@app/contracts';
import { type FieldProblem } from '@app/http';
import { addBusinessTime, ALWAYS_OPEN, type BusinessCalendar } from '../calendars/business-time';
import { type MetricTargets, type PolicyTargets } from './sla-policy.entity';

/**
 * Three years: no service promise is longer, and a due time further out than this is a typo
 * (P4000D) or a calendar with almost no open hours. The engine cannot schedule such a clock, so
 * the ticket's event would fail until it is dead-lettered and the ticket would get no clock at all.
 */
export const MAX_TARGET_DAYS = 1096;
const MAX_TARGET_MS = MAX_TARGET_DAYS * 86_400_000;

/** A duration of at most MAX_TARGET_DAYS; whether it is a duration at all is `Matches`' concern. */
export function MaxDuration(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxDuration',
      validator: {
        validate: (value: unknown) => !isIsoDuration(value) || parseIsoDuration(value) <= MAX_TARGET_MS,
        defaultMessage: () => `$property must be at most ${MAX_TARGET_DAYS} days (P${MAX_TARGET_DAYS}D)`,
      },
    },
    options,
  );
}

const METRICS: Array<keyof MetricTargets> = ['firstResponse', 'nextResponse', 'resolution'];

/** Every target with its field path: the policy's own, then each priority's. */
function targetsOf(targets: PolicyTargets, prefix: string): Array<{ field: string; target: string }> {
  const own = (metrics: MetricTargets | undefined, path: string) =>
    METRICS.flatMap((metric) => {
      const target = metrics?.[metric];
      return typeof target === 'string' ? [{ field: `${path}.${metric}`, target }] : [];
    });
  const byPriority = Object.entries(targets.byPriority ?? {}).flatMap(([priority, metrics]) =>
    own(metrics, `${prefix}targets.byPriority.${priority}`),
  );
  return [...own(targets, `${prefix}targets`), ...byPriority];
}

/**
 * The targets whose due time cannot be computed on `calendar` (around the clock when none), or
 * falls more than MAX_TARGET_DAYS ahead, starting now: the check the engine would otherwise fail
 * when a matching ticket arrives. `prefix` names where the policy sits in the request.
 */
export function unschedulableTargets(
  targets: PolicyTargets,
  calendar: (BusinessCalendar & { name?: string }) | null,
  prefix = '',
  now = new Date(),
): FieldProblem[] {
  const on = calendar?.name ? ` on calendar "${calendar.name}"` : '';
  return targetsOf(targets, prefix).flatMap(({ field, target }) => {
    if (!isIsoDuration(target)) return [];
    let due: number;
    try {
      due = addBusinessTime(calendar ?? ALWAYS_OPEN, now, parseIsoDuration(target)).getTime();
    } catch {
      // The walk through the calendar gives up when it finds too little open time: this very case.
      due = Infinity;
    }
    if (due - now.getTime() <= MAX_TARGET_MS) return [];
    return [
      {
        field,
        message: `${target}${on} would be due more than ${MAX_TARGET_DAYS} days from now, which cannot be scheduled`,
      },
    ];
  });
}
