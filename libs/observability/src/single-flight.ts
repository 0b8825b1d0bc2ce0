/**
 * `read`, shared: a call made while an earlier one is still running gets that call's promise
 * instead of starting another. Several gauges of one scrape can so read one source once.
 */
export function singleFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => (inFlight ??= read().finally(() => (inFlight = undefined)));
}
