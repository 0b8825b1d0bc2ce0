export const ISO_DURATION_PATTERN =
  /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * ISO 8601 durations in milliseconds. Days are 24 hours: SLA targets run on elapsed (or, with a
 * calendar, business) time, never on calendar months, so Y and M(onths) are rejected.
 */
export function parseIsoDuration(value: string): number {
  const match = ISO_DURATION_PATTERN.exec(value);
  if (!match) throw new Error(`"${value}" is not an ISO 8601 duration such as PT30S, PT4H or P2D`);
  const [, weeks, days, hours, minutes, seconds] = match;
  const total =
    Number(weeks ?? 0) * 7 * 86_400_000 +
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Math.round(Number(seconds ?? 0) * 1000);
  return total;
}

export function isIsoDuration(value: unknown): value is string {
  return typeof value === 'string' && ISO_DURATION_PATTERN.test(value);
}
