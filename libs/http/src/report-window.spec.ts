import { ApiError } from './api-error';
import { bucketSql, bucketStart, MAX_REPORT_BUCKETS, reportBuckets, reportWindow } from './report-window';

const at = (iso: string) => new Date(iso);

describe('report windows and their buckets', () => {
  it('starts hours, days and ISO weeks in UTC, as date_trunc does', () => {
    const time = at('2026-12-03T17:45:12.345Z'); // a Thursday
    expect(bucketStart(time, 'hour').toISOString()).toBe('2026-12-03T17:00:00.000Z');
    expect(bucketStart(time, 'day').toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(bucketStart(time, 'week').toISOString()).toBe('2026-11-30T00:00:00.000Z');
    // A Sunday belongs to the week that began six days before, a Monday to its own.
    expect(bucketStart(at('2026-12-06T23:59:59Z'), 'week').toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(bucketStart(at('2026-12-07T00:00:00Z'), 'week').toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });

  it('lists every bucket the window overlaps, the partial first and last included', () => {
    const window = { from: at('2026-12-03T10:30:00Z'), to: at('2026-12-03T13:15:00Z') };
    expect(reportBuckets(window, 'hour').map((start) => start.toISOString())).toEqual([
      '2026-12-03T10:00:00.000Z',
      '2026-12-03T11:00:00.000Z',
      '2026-12-03T12:00:00.000Z',
      '2026-12-03T13:00:00.000Z',
    ]);
    expect(reportBuckets(window, 'day')).toEqual([at('2026-12-03T00:00:00Z')]);
    const november = { from: at('2026-11-01T00:00:00Z'), to: at('2026-12-01T00:00:00Z') };
    expect(reportBuckets(november, 'day')).toHaveLength(30);
    expect(reportBuckets(november, 'week')[0]).toEqual(at('2026-10-26T00:00:00Z'));
  });

  it(`refuses a series of more than ${MAX_REPORT_BUCKETS} points, naming the interval`, () => {
    const sixYears = { from: at('2020-01-01T00:00:00Z'), to: at('2026-01-01T00:00:00Z') };
    expect(() => reportBuckets(sixYears, 'hour')).toThrow(ApiError);
    expect(() => reportBuckets(sixYears, 'hour')).toThrow(
      expect.objectContaining({
        details: [{ field: 'interval', message: expect.stringContaining('52608 hours') }],
      }),
    );
    expect(reportBuckets(sixYears, 'week').length).toBeLessThanOrEqual(MAX_REPORT_BUCKETS);
  });

  it('refuses a window that ends where or before it starts', () => {
    expect(() => reportWindow({ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toThrow(
      expect.objectContaining({ details: [{ field: 'to', message: 'to must be after from' }] }),
    );
    expect(() => reportWindow({ from: '2026-12-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toThrow(
      ApiError,
    );
    expect(reportWindow({ from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' })).toEqual({
      from: at('2026-12-01T00:00:00Z'),
      to: at('2026-12-02T00:00:00Z'),
    });
  });

  it('writes only a known interval into SQL', () => {
    expect(bucketSql('c.started_at', 'week')).toBe("date_trunc('week', c.started_at, 'UTC')");
    expect(() => bucketSql('c.started_at', "hour', now()) --" as never)).toThrow('Unknown report interval');
  });
});
