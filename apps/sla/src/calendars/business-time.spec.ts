import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  addBusinessTime,
  ALWAYS_OPEN,
  type BusinessCalendar,
  businessIntervals,
  businessTimeBetween,
  WEEKDAYS,
} from './business-time';

const HOUR = 3_600_000;
const MINUTE = 60_000;

const officeHours = (timezone: string, holidays: string[] = []): BusinessCalendar => ({
  timezone,
  weekly: {
    mon: [['09:00', '17:00']],
    tue: [['09:00', '17:00']],
    wed: [['09:00', '17:00']],
    thu: [['09:00', '17:00']],
    fri: [['09:00', '17:00']],
  },
  holidays,
});

const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const inZone = (date: Date, zone: string) =>
  DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

describe('business time', () => {
  describe('hand-checked', () => {
    it('a 4-hour target created Friday 16:00 in a Mon–Fri 09:00–17:00 calendar is due Monday 12:00', () => {
      const zone = 'Europe/Istanbul';
      const due = addBusinessTime(officeHours(zone), local('2026-11-27T16:00', zone), 4 * HOUR);
      expect(inZone(due, zone)).toBe('2026-11-30T12:00');
    });

    it('starts counting at opening time when created outside business hours', () => {
      const zone = 'America/New_York';
      const due = addBusinessTime(officeHours(zone), local('2026-11-24T20:30', zone), 30 * MINUTE);
      expect(inZone(due, zone)).toBe('2026-11-25T09:30');
    });

    it('is due at closing time, not the next morning, when the target runs out exactly then', () => {
      const zone = 'Europe/Athens';
      const due = addBusinessTime(officeHours(zone), local('2026-11-24T13:00', zone), 4 * HOUR);
      expect(inZone(due, zone)).toBe('2026-11-24T17:00');
    });

    it('skips holidays and weekends', () => {
      const zone = 'Europe/Istanbul';
      // Thursday 29 October is Republic Day.
      const calendar = officeHours(zone, ['2026-10-29']);
      const due = addBusinessTime(calendar, local('2026-10-28T16:00', zone), 2 * HOUR);
      expect(inZone(due, zone)).toBe('2026-10-30T10:00');
    });

    it('closes on a country’s public holidays without listing them', () => {
      const zone = 'Europe/Istanbul';
      // Thursday 29 October 2026 is Republic Day in Turkey; 23 April is National Sovereignty Day.
      const calendar = { ...officeHours(zone), country: 'TR' };
      expect(inZone(addBusinessTime(calendar, local('2026-10-28T16:00', zone), 2 * HOUR), zone)).toBe(
        '2026-10-30T10:00',
      );
      expect(inZone(addBusinessTime(calendar, local('2026-04-22T16:30', zone), HOUR), zone)).toBe(
        '2026-04-24T09:30',
      );
    });

    it('counts split shifts as separate ranges', () => {
      const zone = 'Europe/Athens';
      const calendar: BusinessCalendar = {
        timezone: zone,
        weekly: {
          tue: [
            ['09:00', '13:00'],
            ['17:00', '21:00'],
          ],
        },
        holidays: [],
      };
      const due = addBusinessTime(calendar, local('2026-11-24T12:00', zone), 2 * HOUR);
      expect(inZone(due, zone)).toBe('2026-11-24T18:00');
    });

    it('keeps office hours on wall-clock time across the autumn DST change in Athens', () => {
      const zone = 'Europe/Athens';
      // Clocks go back on Sunday 25 October 2026; Friday 16:00 + 2h is still Monday 10:00 local.
      const due = addBusinessTime(officeHours(zone), local('2026-10-23T16:00', zone), 2 * HOUR);
      expect(inZone(due, zone)).toBe('2026-10-26T10:00');
    });

    it('counts the real length of a 23-hour and a 25-hour day around the clock', () => {
      const athens: BusinessCalendar = { ...ALWAYS_OPEN, timezone: 'Europe/Athens' };
      // Spring forward on 29 March 2026: 24 hours from Saturday noon is Sunday 13:00 local.
      expect(
        inZone(
          addBusinessTime(athens, local('2026-03-28T12:00', 'Europe/Athens'), 24 * HOUR),
          'Europe/Athens',
        ),
      ).toBe('2026-03-29T13:00');
      const newYork: BusinessCalendar = { ...ALWAYS_OPEN, timezone: 'America/New_York' };
      // Fall back on 1 November 2026: 24 hours from Saturday noon is Sunday 11:00 local.
      expect(
        inZone(
          addBusinessTime(newYork, local('2026-10-31T12:00', 'America/New_York'), 24 * HOUR),
          'America/New_York',
        ),
      ).toBe('2026-11-01T11:00');
    });

    it('has a night range across the New York spring-forward gap one hour short', () => {
      const zone = 'America/New_York';
      const calendar: BusinessCalendar = {
        timezone: zone,
        weekly: { sun: [['01:00', '05:00']] },
        holidays: [],
      };
      // 8 March 2026: 02:00 does not exist, so 01:00–05:00 holds three real hours.
      const [first] = businessIntervals(calendar, local('2026-03-08T00:00', zone));
      expect(first.end - first.start).toBe(3 * HOUR);
    });

    it('runs a zone without DST, Istanbul, at a constant +03:00', () => {
      const zone = 'Europe/Istanbul';
      const due = addBusinessTime(officeHours(zone), local('2026-03-27T16:30', zone), HOUR);
      expect(due.toISOString()).toBe('2026-03-30T06:30:00.000Z');
    });

    it('refuses a calendar that is never open', () => {
      expect(() => addBusinessTime({ timezone: 'UTC', weekly: {}, holidays: [] }, new Date(), HOUR)).toThrow(
        /no open hours/,
      );
    });
  });

  describe('properties', () => {
    const zones = fc.constantFrom('Europe/Athens', 'America/New_York', 'Europe/Istanbul', 'UTC');
    const time = (minutes: number) =>
      `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    // Up to three non-overlapping ranges a day on 15-minute boundaries.
    const dayRanges = fc
      .uniqueArray(fc.integer({ min: 0, max: 96 }), { minLength: 0, maxLength: 6 })
      .map((marks) => marks.sort((a, b) => a - b))
      .map((marks) => {
        const ranges: Array<[string, string]> = [];
        for (let i = 0; i + 1 < marks.length; i += 2)
          ranges.push([time(marks[i] * 15), time(marks[i + 1] * 15)]);
        return ranges;
      });
    const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));
    const openMinutes = (ranges: Array<[string, string]>) =>
      ranges.reduce((sum, [from, to]) => sum + minutes(to) - minutes(from), 0);
    const calendars: fc.Arbitrary<BusinessCalendar> = fc
      .record({
        timezone: zones,
        days: fc.array(dayRanges, { minLength: 7, maxLength: 7 }),
        holidays: fc.array(
          fc.date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }),
          { maxLength: 10 },
        ),
      })
      // At least two open hours a week: the longest target the properties add (2 × 80 h) then fits
      // well inside the ten years the scheduler looks ahead; a quarter hour a week would not.
      .filter(({ days }) => openMinutes(days.flat()) >= 120)
      .map(({ timezone, days, holidays }) => ({
        timezone,
        weekly: Object.fromEntries(WEEKDAYS.map((day, i) => [day, days[i]])),
        holidays: holidays.map((d) => d.toISOString().slice(0, 10)),
      }));
    const instants = fc.date({
      min: new Date('2026-01-01T00:00:00Z'),
      max: new Date('2027-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    const durations = fc.integer({ min: 1, max: 80 * HOUR });

    it('adding a then b lands where adding a + b does', () => {
      fc.assert(
        fc.property(calendars, instants, durations, durations, (calendar, start, a, b) => {
          const stepwise = addBusinessTime(calendar, addBusinessTime(calendar, start, a), b);
          expect(stepwise.getTime()).toBe(addBusinessTime(calendar, start, a + b).getTime());
        }),
        { numRuns: 300 },
      );
    });

    it('never puts a due time outside business hours', () => {
      fc.assert(
        fc.property(calendars, instants, durations, (calendar, start, duration) => {
          const due = addBusinessTime(calendar, start, duration).getTime();
          const dayBefore = new Date(due - 2 * 24 * HOUR);
          let inside = false;
          for (const interval of businessIntervals(calendar, dayBefore)) {
            if (interval.start >= due) break;
            if (interval.start < due && due <= interval.end) inside = true;
          }
          expect(inside).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('measures back exactly the business time it added, and later targets are never due earlier', () => {
      fc.assert(
        fc.property(calendars, instants, durations, durations, (calendar, start, a, b) => {
          const due = addBusinessTime(calendar, start, a);
          expect(businessTimeBetween(calendar, start, due)).toBe(a);
          expect(addBusinessTime(calendar, start, a + b).getTime()).toBeGreaterThan(due.getTime());
        }),
        { numRuns: 300 },
      );
    });

    it('is plain elapsed time when the calendar is always open', () => {
      fc.assert(
        fc.property(instants, durations, (start, duration) => {
          expect(addBusinessTime(ALWAYS_OPEN, start, duration).getTime()).toBe(start.getTime() + duration);
        }),
      );
    });

    it('gives the always-open calendar the same answers as the day-by-day walk of a copy of it', () => {
      const walked: BusinessCalendar = { ...ALWAYS_OPEN };
      fc.assert(
        fc.property(instants, durations, durations, (start, a, b) => {
          const end = new Date(start.getTime() + b);
          expect(addBusinessTime(ALWAYS_OPEN, start, a)).toEqual(addBusinessTime(walked, start, a));
          expect(businessTimeBetween(ALWAYS_OPEN, start, end)).toBe(businessTimeBetween(walked, start, end));
        }),
        { numRuns: 300 },
      );
    });
  });
});
