import { DateTime } from 'luxon';

export interface QuietHours {
  from: string;
  to: string;
  timeZone: string;
}

/**
 * When `at` falls inside the quiet hours, the moment they end; otherwise `at` itself. Quiet hours
 * are local wall-clock times, so they follow the recipient's zone across DST changes.
 */
export function afterQuietHours(at: Date, quiet: QuietHours): Date {
  const local = DateTime.fromJSDate(at, { zone: quiet.timeZone });
  const [fromHour, fromMinute] = quiet.from.split(':').map(Number);
  const [toHour, toMinute] = quiet.to.split(':').map(Number);
  const minutes = local.hour * 60 + local.minute;
  const start = fromHour * 60 + fromMinute;
  const end = toHour * 60 + toMinute;
  if (start === end) return at;
  const wraps = start > end;
  const inside = wraps ? minutes >= start || minutes < end : minutes >= start && minutes < end;
  if (!inside) return at;
  const endDay = wraps && minutes >= start ? local.plus({ days: 1 }) : local;
  return endDay.set({ hour: toHour, minute: toMinute, second: 0, millisecond: 0 }).toJSDate();
}

/** The next digest boundary: digests go out at whole multiples of the interval since the epoch. */
export function nextDigestAt(at: Date, intervalMs: number): Date {
  return new Date(Math.ceil(at.getTime() / intervalMs) * intervalMs);
}
