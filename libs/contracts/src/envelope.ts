import { z } from 'zod';
import { type EventData, type EventType } from './registry';
import { isoTimeSchema } from './values';

export const DEFAULT_TENANT = 'default';

/**
 * CloudEvents 1.0 (structured JSON mode) plus our extension attributes. Extension names follow the
 * CloudEvents rule of lower-case alphanumerics, hence `correlationid` rather than `correlationId`.
 */
export const envelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(200),
  source: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  time: isoTimeSchema.optional(),
  datacontenttype: z.literal('application/json').optional(),
  /** The ticket id, once there is one. Also the Kafka key, so a ticket's events stay in order. */
  subject: z.string().min(1).max(200).optional(),
  tenant: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .default(DEFAULT_TENANT),
  correlationid: z.string().min(1).max(200).optional(),
  causationid: z.string().min(1).max(200).optional(),
  schemaversion: z.int().positive().default(1),
  /** Per-ticket, per-source sequence number: consumers can tell order and gaps. */
  sequence: z.int().nonnegative().optional(),
  data: z.unknown(),
});

export type Envelope = z.infer<typeof envelopeSchema>;

export type EventEnvelope<T extends EventType = EventType> = Omit<Envelope, 'type' | 'data'> & {
  type: T;
  time: string;
  data: EventData<T>;
};

/** Any known event, discriminated by `type`, so a `switch (event.type)` narrows `data`. */
export type AnyEvent = { [T in EventType]: EventEnvelope<T> }[EventType];
