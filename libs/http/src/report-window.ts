import { HttpStatus } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { ApiError } from './api-error';

/** The `[from, to)` every report covers; subclasses add their grouping and interval. */
export class ReportWindowQuery {
  @ApiProperty({ example: '2026-11-01T00:00:00Z', description: 'From (inclusive)' })
  @IsISO8601({ strict: true })
  from: string;

  @ApiProperty({ example: '2026-12-01T00:00:00Z', description: 'Until (exclusive)' })
  @IsISO8601({ strict: true })
  to: string;
}

export interface ReportWindow {
  from: Date;
  to: Date;
}

export const REPORT_INTERVALS = ['hour', 'day', 'week'] as const;
export type ReportInterval = (typeof REPORT_INTERVALS)[number];

/** A series longer than this is a chart nobody can read, and a response nobody should build. */
export const MAX_REPORT_BUCKETS = 1_000;

const fieldError = (field: string, message: string) =>
  new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
    { field, message },
  ]);

export function reportWindow(query: ReportWindowQuery): ReportWindow {
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (to <= from) throw fieldError('to', 'to must be after from');
  return { from, to };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The start of the bucket holding `time`, in UTC, as Postgres' `date_trunc(interval, time, 'UTC')`. */
export function bucketStart(time: Date, interval: ReportInterval): Date {
  const ms = time.getTime();
  switch (interval) {
    case 'hour':
      return new Date(ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS));
    case 'day':
      return new Date(ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS));
    case 'week': {
      const day = bucketStart(time, 'day');
      // ISO weeks start on Monday; getUTCDay() counts from Sunday.
      return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
    }
  }
}

const STEP_MS: Record<ReportInterval, number> = { hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS };

/**
 * Every bucket start that overlaps the window, oldest first, so a series has a point for each
 * interval, empty ones included. A window that needs more than MAX_REPORT_BUCKETS is a 400.
 */
export function reportBuckets(window: ReportWindow, interval: ReportInterval): Date[] {
  const first = bucketStart(window.from, interval).getTime();
  const count = Math.ceil((window.to.getTime() - first) / STEP_MS[interval]);
  if (count > MAX_REPORT_BUCKETS) {
    throw fieldError(
      'interval',
      `the window holds ${count} ${interval}s, more than ${MAX_REPORT_BUCKETS}: choose a longer interval or a shorter window`,
    );
  }
  return Array.from({ length: count }, (_, index) => new Date(first + index * STEP_MS[interval]));
}

/** The SQL that puts a timestamptz column in its bucket; `interval` is one of REPORT_INTERVALS. */
export function bucketSql(column: string, interval: ReportInterval): string {
  if (!REPORT_INTERVALS.includes(interval)) throw new Error(`Unknown report interval ${String(interval)}`);
  return `date_trunc('${interval}', ${column}, 'UTC')`;
}
