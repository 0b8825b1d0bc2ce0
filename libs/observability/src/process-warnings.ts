import { type Logger } from 'pino';

/**
 * kafkajs (frozen since 2023) arms its idle request-queue check with a negative delay
 * (`RequestQueue.scheduleCheckPendingRequests`, `throttledUntil - Date.now()` while unthrottled).
 * Node 24 clamps the delay to 1 ms, which is what kafkajs means, and warns on every connection.
 */
function isKafkajsIdleQueueTimer(warning: Error): boolean {
  return warning.name === 'TimeoutNegativeWarning' && (warning.stack ?? '').includes('/kafkajs/');
}

/** What a process warning is logged as, or undefined for one known to be harmless. */
export function describeWarning(
  warning: Error & { code?: string },
): { name: string; code?: string; message: string } | undefined {
  if (isKafkajsIdleQueueTimer(warning)) return undefined;
  return { name: warning.name, code: warning.code, message: warning.message };
}

/**
 * Node prints process warnings (deprecations, negative timers, listener leaks) to stderr as
 * plain text, and a service's output is JSON log lines only: this replaces Node's printer, the
 * only `warning` listener a process has at boot, with one that logs through the service logger.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const described = describeWarning(warning);
    if (described) logger.warn({ warning: described }, 'Node.js process warning');
  });
}
