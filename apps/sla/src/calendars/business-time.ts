import { DateTime } from 'luxon';
import { publicHolidays } from './public-holidays';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Opening hours per weekday as local wall-clock ranges ("09:00"–"17:00", "24:00" ends a day). */
export type WeeklyHours = Partial<Record<Weekday, Array<[string, string]>>>;

export interface BusinessCalendar {
  /** IANA zone, e.g. Europe/Istanbul: the wall clock the hours and holidays are read in. */
  timezone: string;
  weekly: WeeklyHours;
  /** Local dates (YYYY-MM-DD) on which the calendar is closed all day. */
  holidays: readonly string[];
  /** Also closed on this country's (or subdivision's) public holidays, e.g. `TR` or `US-NY`. */
  country?: string | null;
}

/** A stretch of business time as real instants, [start, end) in epoch milliseconds. */
export interface BusinessInterval {
  start: number;
  end: number;
}

/** Ten years: a calendar with no open hour left in it would otherwise be searched forever. */
const MAX_DAYS = 3_660;
const DAY_MS = 86_400_000;
const YEAR_MS = 366 * DAY_MS;

/** The calendar that is always open: SLA targets without a calendar run around the clock. */
export const ALWAYS_OPEN: BusinessCalendar = {
  timezone: 'UTC',
  weekly: Object.fromEntries(WEEKDAYS.map((day) => [day, [['00:00', '24:00']]])),
  holidays: [],
};

function wallClock(day: DateTime, time: string): DateTime {
  if (time === '24:00') return day.plus({ days: 1 }).startOf('day');
  const [hour, minute] = time.split(':').map(Number);
  // A wall time inside a DST gap does not exist; luxon moves it forward by the gap, as clocks do.
  return day.set({ hour, minute, second: 0, millisecond: 0 });
}

/**
 * The calendar's open intervals from `from` onwards, in order, as real instants. Each local range is
 * converted on its own day, so a day that is 23 or 25 hours long (a DST change) opens and closes at
 * the right wall-clock times, and an interval spanning the change is as long as it really is.
 */
export function* businessIntervals(calendar: BusinessCalendar, from: Date): Generator<BusinessInterval> {
  if (calendar === ALWAYS_OPEN) {
    // Business time is wall time: year-long intervals instead of a day-by-day walk through time
    // zones, which most clocks (those without a calendar) would otherwise pay for on every change.
    for (let start = from.getTime(); start < from.getTime() + MAX_DAYS * DAY_MS; start += YEAR_MS) {
      yield { start, end: start + YEAR_MS };
    }
    throw new Error(`A target beyond ${MAX_DAYS} days cannot be scheduled`);
  }
  const holidays = new Set(calendar.holidays);
  let day = DateTime.fromJSDate(from, { zone: calendar.timezone }).startOf('day');
  // The previous day too: a range ending at 24:00 may still be open at `from` just after midnight.
  day = day.minus({ days: 1 });
  for (let i = 0; i < MAX_DAYS; i++, day = day.plus({ days: 1 })) {
    const date = day.toISODate() ?? '';
    if (holidays.has(date) || (calendar.country && publicHolidays(calendar.country, day.year).has(date)))
      continue;
    const ranges = calendar.weekly[WEEKDAYS[day.weekday - 1]] ?? [];
    for (const [open, close] of ranges) {
      const start = Math.max(wallClock(day, open).toMillis(), from.getTime());
      const end = wallClock(day, close).toMillis();
      if (end > start) yield { start, end };
    }
  }
  throw new Error(`Calendar in ${calendar.timezone} has no open hours in the next ${MAX_DAYS} days`);
}

/**
 * The instant `durationMs` of business time after `start`: time only counts while the calendar is
 * open. A target that runs out exactly at closing time is due at closing time, not next morning.
 */
export function addBusinessTime(calendar: BusinessCalendar, start: Date, durationMs: number): Date {
  if (durationMs <= 0) return new Date(start);
  let remaining = durationMs;
  for (const interval of businessIntervals(calendar, start)) {
    const length = interval.end - interval.start;
    if (remaining <= length) return new Date(interval.start + remaining);
    remaining -= length;
  }
  throw new Error('unreachable: businessIntervals ends by throwing');
}

/** How much business time lies between two instants (zero when `to` is not after `from`). */
export function businessTimeBetween(calendar: BusinessCalendar, from: Date, to: Date): number {
  let total = 0;
  if (to.getTime() <= from.getTime()) return 0;
  for (const interval of businessIntervals(calendar, from)) {
    if (interval.start >= to.getTime()) break;
    total += Math.min(interval.end, to.getTime()) - interval.start;
  }
  return total;
}

/** The open intervals a deadline consumed, for explaining how it was reached. */
export function consumedIntervals(calendar: BusinessCalendar, start: Date, due: Date): BusinessInterval[] {
  const consumed: BusinessInterval[] = [];
  if (due.getTime() <= start.getTime()) return consumed;
  for (const interval of businessIntervals(calendar, start)) {
    if (interval.start >= due.getTime()) break;
    consumed.push({ start: interval.start, end: Math.min(interval.end, due.getTime()) });
  }
  return consumed;
}
