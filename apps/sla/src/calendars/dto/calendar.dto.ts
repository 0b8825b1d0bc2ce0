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
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true, message: 'holidays must be YYYY-MM-DD dates' })
  holidays?: string[];
  @ApiPropertyOptional({ example: 'TR', description: 'Also closed on this country’s public holidays' })
  @IsOptional()
  @Validate(CountryConstraint)
  country?: string;
}
