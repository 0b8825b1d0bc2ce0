import { bucketEnd, DRAINING_MARGIN_MS, wakeUpsFor } from './wake-up-buckets';

describe('wake-up buckets', () => {
  const options = { bucketMs: 50, horizonMs: 30_000, uniqueSuffix: () => 'unique' };
  const now = 1_000_000;

  it('wakes at the end of the bucket, never before a deadline in it', () => {
    expect(bucketEnd(1_000_001, 50)).toBe(1_000_050);
    expect(bucketEnd(1_000_050, 50)).toBe(1_000_050);
    expect(bucketEnd(1_000_049, 50)).toBe(1_000_050);
  });

  it('gives deadlines of one bucket one deterministic wake-up', () => {
    const at = now + 5_000;
    expect(wakeUpsFor([at + 1, at + 20, at + 49], now, options)).toEqual([
      { jobId: `wake-${at + 50}`, at: at + 50 },
    ]);
  });

  it('leaves deadlines beyond the horizon to the scheduler', () => {
    expect(wakeUpsFor([now + 30_001, now + 86_400_000], now, options)).toEqual([]);
  });

  it('gives a deadline whose bucket may already be draining a wake-up of its own', () => {
    const soon = now + DRAINING_MARGIN_MS - 149;
    expect(wakeUpsFor([soon, soon + 1], now, options)).toEqual([
      { jobId: `wake-${bucketEnd(soon, 50)}-unique`, at: bucketEnd(soon, 50) },
    ]);
  });

  it('wakes an overdue deadline at once', () => {
    expect(wakeUpsFor([now - 10_000], now, options)).toEqual([
      { jobId: `wake-${now - 10_000}-unique`, at: now },
    ]);
  });
});
