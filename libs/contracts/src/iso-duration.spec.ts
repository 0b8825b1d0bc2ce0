import { isIsoDuration, parseIsoDuration } from './iso-duration';

describe('ISO 8601 durations', () => {
  it.each([
    ['PT2S', 2_000],
    ['PT0.5S', 500],
    ['PT30M', 1_800_000],
    ['PT4H', 14_400_000],
    ['P2D', 172_800_000],
    ['P1DT2H30M', 95_400_000],
    ['P1W', 604_800_000],
    ['PT0S', 0],
  ])('%s is %i ms', (value, ms) => {
    expect(parseIsoDuration(value)).toBe(ms);
    expect(isIsoDuration(value)).toBe(true);
  });

  it.each(['2 hours', 'P', 'PT', 'P1M', 'P1Y', 'PT1H2', '', 'pt2s'])('rejects %j', (value) => {
    expect(isIsoDuration(value)).toBe(false);
    expect(() => parseIsoDuration(value)).toThrow('ISO 8601');
  });
});
