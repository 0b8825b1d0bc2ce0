import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { type EntityManager } from 'typeorm';
import { parseIsoDuration } from '@app/contracts';
import { addBusinessTime, ALWAYS_OPEN, type BusinessCalendar, consumedIntervals } from './business-time';
import { Calendar } from './calendar.entity';

export interface Deadline {
  dueAt: Date;
  /** How the due time was reached, in words an agent or admin can check by hand. */
  explanation: string;
}

/** Intervals listed one by one in an explanation; a long target's remainder is summarised. */
const LISTED_INTERVALS = 8;

/** 5400000 → "1 h 30 min": the units an admin reads targets in. */
export function span(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1_000],
  ];
  let rest = Math.round(ms);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}`);
  }
  return parts.join(' ') || '0 s';
}

/** Due times on business time: the target counts only while the policy's calendar is open. */
@Injectable()
export class DeadlineCalculator {
  async calendarOf(
    manager: EntityManager,
    tenant: string,
    calendarId: string | null,
  ): Promise<Calendar | null> {
    if (!calendarId) return null;
    return manager.findOneBy(Calendar, { tenant, id: calendarId });
  }

  compute(calendar: Calendar | null, startedAt: Date, target: string): Deadline {
    const targetMs = parseIsoDuration(target);
    if (!calendar) {
      const dueAt = addBusinessTime(ALWAYS_OPEN, startedAt, targetMs);
      return {
        dueAt,
        explanation: `No calendar, so the clock runs around the clock: due = started ${startedAt.toISOString()} + ${target} = ${dueAt.toISOString()}.`,
      };
    }
    const businessCalendar: BusinessCalendar = calendar;
    const dueAt = addBusinessTime(businessCalendar, startedAt, targetMs);
    const zone = calendar.timezone;
    const at = (ms: number) => DateTime.fromMillis(ms, { zone });
    const consumed = consumedIntervals(businessCalendar, startedAt, dueAt);
    const listed = consumed
      .slice(0, LISTED_INTERVALS)
      .map(
        (interval) =>
          `${at(interval.start).toFormat('ccc d LLL HH:mm')}–${at(interval.end).toFormat('HH:mm')} (${span(interval.end - interval.start)})`,
      );
    if (consumed.length > LISTED_INTERVALS) {
      const rest = consumed.slice(LISTED_INTERVALS).reduce((sum, i) => sum + (i.end - i.start), 0);
      listed.push(`${consumed.length - LISTED_INTERVALS} more open periods (${span(rest)})`);
    }
    const holidays =
      (calendar.holidays.length > 0 ? `, ${calendar.holidays.length} holiday(s)` : '') +
      (calendar.country ? `, ${calendar.country} public holidays` : '');
    return {
      dueAt,
      explanation:
        `Calendar "${calendar.name}" (${zone}${holidays}): the ${target} target counts only while it is open. ` +
        `Started ${at(startedAt.getTime()).toFormat('ccc d LLL yyyy HH:mm ZZ')}; counted ${listed.join(', ')}; ` +
        `due ${at(dueAt.getTime()).toFormat('ccc d LLL yyyy HH:mm ZZ')} (${dueAt.toISOString()}).`,
    };
  }
}
