import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature receivers verify, in the `Ticketflow-Signature` header: `t=<unix seconds>,v1=<hex>`
 * where v1 is HMAC-SHA256, keyed with the webhook's secret, over `<t>.<raw body>`. Signing the
 * timestamp lets a receiver refuse replays older than its tolerance.
 */
export const SIGNATURE_HEADER = 'ticketflow-signature';

export function signPayload(secret: string, body: string, at: Date = new Date()): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** What a receiver does; shipped for tests and as the reference for the documented scheme. */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  toleranceSeconds = 300,
  now: Date = new Date(),
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const [key, ...value] = part.trim().split('=');
      return [key, value.join('=')] as const;
    }),
  );
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(timestamp) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
