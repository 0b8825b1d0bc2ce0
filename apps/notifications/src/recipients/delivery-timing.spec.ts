import { afterQuietHours, nextDigestAt } from './delivery-timing';

describe('delivery timing', () => {
  const quiet = { from: '22:00', to: '07:00', timeZone: 'Europe/Istanbul' };

  it('holds a message sent inside quiet hours that wrap midnight until they end', () => {
    // 23:30 in Istanbul (UTC+3) → 07:00 the next morning.
    expect(afterQuietHours(new Date('2026-11-27T20:30:00Z'), quiet).toISOString()).toBe(
      '2026-11-28T04:00:00.000Z',
    );
    // 03:00 → 07:00 the same morning.
    expect(afterQuietHours(new Date('2026-11-28T00:00:00Z'), quiet).toISOString()).toBe(
      '2026-11-28T04:00:00.000Z',
    );
  });

  it('lets a message outside quiet hours through at once', () => {
    const noon = new Date('2026-11-28T09:00:00Z');
    expect(afterQuietHours(noon, quiet)).toBe(noon);
    expect(afterQuietHours(noon, { from: '13:00', to: '14:00', timeZone: 'UTC' })).toBe(noon);
    expect(afterQuietHours(noon, { from: '08:00', to: '08:00', timeZone: 'UTC' })).toBe(noon);
  });

  it('keeps local wall-clock hours across a DST change', () => {
    // New York, night of the spring-forward (8 March 2026): 06:00 EDT is 10:00 UTC.
    const night = new Date('2026-03-08T05:00:00Z'); // 00:00 EST
    expect(
      afterQuietHours(night, { from: '22:00', to: '06:00', timeZone: 'America/New_York' }).toISOString(),
    ).toBe('2026-03-08T10:00:00.000Z');
  });

  it('rounds up to the next digest boundary', () => {
    expect(nextDigestAt(new Date('2026-11-28T10:20:00Z'), 3_600_000).toISOString()).toBe(
      '2026-11-28T11:00:00.000Z',
    );
    expect(nextDigestAt(new Date('2026-11-28T11:00:00Z'), 3_600_000).toISOString()).toBe(
      '2026-11-28T11:00:00.000Z',
    );
  });
});
