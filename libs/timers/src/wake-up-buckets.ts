/**
 * The pure arithmetic of wake-ups. Deadlines are grouped in buckets of `bucketMs`; the wake-up of
 * a bucket comes at its end, so it is never early for any deadline in it and at most `bucketMs`
 * late before the drain starts.
 */
export function bucketEnd(dueAtMs: number, bucketMs: number): number {
  return Math.ceil(dueAtMs / bucketMs) * bucketMs;
}

/**
 * A wake-up that another process may already be draining: a drain reads what is due when it
 * starts, so a timer committed after that start needs a wake-up of its own. A bucket ending more
 * than this margin after the commit has not started draining yet, whatever the clocks of the
 * machines say to within the margin.
 */
export const DRAINING_MARGIN_MS = 1_000;

export interface WakeUp {
  /** Deterministic per bucket, so replicas and repeated rounds add one job; unique when it must be. */
  jobId: string;
  at: number;
}

/**
 * The wake-ups a set of just-armed timers needs, at `now`: one per bucket within the horizon
 * (later ones are the scheduler's), and a unique one where the bucket's own may be draining.
 */
export function wakeUpsFor(
  dueAtMs: number[],
  now: number,
  options: { bucketMs: number; horizonMs: number; uniqueSuffix: () => string },
): WakeUp[] {
  const wakeUps = new Map<string, WakeUp>();
  for (const due of dueAtMs) {
    if (due > now + options.horizonMs) continue;
    const at = bucketEnd(due, options.bucketMs);
    if (at - now > DRAINING_MARGIN_MS) {
      wakeUps.set(`wake-${at}`, { jobId: `wake-${at}`, at });
    } else if (!wakeUps.has(`soon-${at}`)) {
      wakeUps.set(`soon-${at}`, { jobId: `wake-${at}-${options.uniqueSuffix()}`, at: Math.max(at, now) });
    }
  }
  return [...wakeUps.values()];
}
