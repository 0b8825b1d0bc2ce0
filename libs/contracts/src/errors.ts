/** Why an event was rejected; the code travels in DLQ headers, so it must never contain payload values. */
export type InvalidEventCode =
  | 'too_large'
  | 'malformed_json'
  | 'invalid_envelope'
  | 'unknown_type'
  | 'invalid_data'
  | 'wrong_topic'
  /** Not signed by a publisher this deployment knows, or the signature does not match the record. */
  | 'unauthenticated'
  /** Well-formed, but the receiving service refuses it, e.g. it names a ticket that does not exist. */
  | 'refused';

export class InvalidEventError extends Error {
  constructor(
    readonly code: InvalidEventCode,
    /** Field paths and constraints only; safe to log and to put in headers. */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'InvalidEventError';
  }
}
