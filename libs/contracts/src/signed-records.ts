import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Kafka does not tell a consumer who produced a record, so a record on the inbound topic carries
 * its publisher's name and an HMAC-SHA256 of its exact value bytes under that publisher's secret,
 * in the style of signed webhooks. Intake knows each publisher's secret and tenants, and only
 * then believes the record's `tenant` attribute.
 */
export const PUBLISHER_HEADER = 'ticketflow-publisher';
export const SIGNATURE_HEADER = 'ticketflow-signature';

const SIGNATURE_PREFIX = 'sha256=';

export interface PublisherCredential {
  name: string;
  secret: string;
}

/** The signature header's value for `value` under `secret`. */
export function recordSignature(value: Buffer | string, secret: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(value).digest('hex');
}

/** The headers a publisher adds to a record it produces on the inbound topic. */
export function signedRecordHeaders(
  value: Buffer | string,
  publisher: PublisherCredential,
): Record<string, string> {
  return {
    [PUBLISHER_HEADER]: publisher.name,
    [SIGNATURE_HEADER]: recordSignature(value, publisher.secret),
  };
}

/** Constant-time check of a signature header against `value` under `secret`. */
export function isRecordSignedWith(value: Buffer | string, signature: string, secret: string): boolean {
  const expected = Buffer.from(recordSignature(value, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
