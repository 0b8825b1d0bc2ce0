import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Validate,
  type ValidatorConstraintInterface,
  ValidatorConstraint,
} from 'class-validator';
import { type WeeklyHours } from '../calendar.entity';
import { isKnownRegion } from '../public-holidays';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

@ValidatorConstraint({ name: 'weeklyHours' })
class WeeklyHoursConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const days = Object.entries(value);
    const wellFormed = days.every(
      ([day, ranges]) =>
        DAYS.includes(day) &&
        Array.isArray(ranges) &&
        ranges.every(
          (range) =>
            Array.isArray(range) &&
            range.length === 2 &&
            range.every((t) => typeof t === 'string' && TIME.test(t)) &&
            range[0] < range[1],
        ) &&
        // Sorted by opening time, each range must close before the next one opens.
        [...(ranges as Array<[string, string]>)]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .every((range, i, sorted) => i === 0 || sorted[i - 1][1] <= range[0]),
    );
    // A calendar that is never open would leave every deadline unreachable.
    return wellFormed && days.some(([, ranges]) => (ranges as unknown[]).length > 0);
  }

  defaultMessage(): string {
    return 'weekly must map mon..sun to non-overlapping ["HH:MM", "HH:MM"] ranges, with at least one open range';
  }
}

@ValidatorConstraint({ name: 'timezone' })
class TimezoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'timezone must be an IANA time zone such as Europe/Istanbul';
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * "2026-02-30" or "0000-00-00" has the YYYY-MM-DD shape but is no day: Postgres refuses it in a
 * `date[]` column, which used to surface as a 500. The shape itself is @Matches' to report.
 */
@ValidatorConstraint({ name: 'holidays' })
class HolidaysConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (
      !Array.isArray(value) ||
      value.every((day) => typeof day !== 'string' || !DAY.test(day) || isRealDay(day))
    );
  }

  defaultMessage(): string {
    return 'holidays must be real days, such as 2026-10-29';
  }
}

function isRealDay(day: string): boolean {
  const [year, month, date] = (DAY.exec(day) ?? []).slice(1).map(Number);
  const parsed = new Date(Date.UTC(year, month - 1, date));
  // Date.UTC reads years 0..99 as 1900..1999, so they fail the year comparison too.
  return (
    parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date
  );
}

@ValidatorConstraint({ name: 'country' })
class CountryConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isKnownRegion(value);
  }

  defaultMessage(): string {
    return 'country must be a country or subdivision with known public holidays, such as TR, GR or US-NY';
  }
}

export class CalendarDto {
  @ApiProperty({ example: 'Istanbul office' }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;
  @ApiProperty({ example: 'Europe/Istanbul' }) @Validate(TimezoneConstraint) timezone: string;
  @ApiProperty({ example: { mon: [['09:00', '17:00']] } })
  @IsObject()
  @Validate(WeeklyHoursConstraint)
  weekly: WeeklyHours;
  @ApiPropertyOptional({ example: ['2026-10-29'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(366)
  @Matches(DAY, { each: true, message: 'holidays must be YYYY-MM-DD dates' })
  @Validate(HolidaysConstraint)
  holidays?: string[];
  @ApiPropertyOptional({ example: 'TR', description: 'Also closed on this country’s public holidays' })
  @IsOptional()
  @Validate(CountryConstraint)
  country?: string;
}
