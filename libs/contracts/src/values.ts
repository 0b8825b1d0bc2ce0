import { z } from 'zod';

/** Value schemas shared by several events and by the HTTP DTOs that mirror them. */
export const CHANNELS = ['email', 'chat', 'phone', 'social', 'web', 'api'] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export const SLA_METRICS = ['first_response', 'next_response', 'resolution'] as const;

export type Channel = (typeof CHANNELS)[number];
export type Priority = (typeof PRIORITIES)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type SlaMetric = (typeof SLA_METRICS)[number];

export const LIMITS = {
  subject: 300,
  body: 64 * 1024,
  tag: 50,
  tags: 20,
  category: 100,
  externalId: 200,
  name: 200,
  metadataKeys: 30,
  metadataValue: 200,
  /** Largest serialized event a consumer accepts; anything bigger goes to the DLQ. */
  eventBytes: 1024 * 1024,
} as const;

export const channelSchema = z.enum(CHANNELS);
export const prioritySchema = z.enum(PRIORITIES);
export const ticketStatusSchema = z.enum(TICKET_STATUSES);
export const slaMetricSchema = z.enum(SLA_METRICS);
export const uuidSchema = z.uuid();
export const isoTimeSchema = z.iso.datetime({ offset: true });
/** ISO 8601 durations such as PT30S, PT4H, P2D, P1DT2H. */
export const isoDurationSchema = z
  .string()
  .regex(
    /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/,
    'must be an ISO 8601 duration such as PT30S',
  );
/** A conversation id from the sending system, e.g. `chat:8f3a` or a social thread id. */
export const threadRefSchema = z.string().trim().min(1).max(200);
/** An RFC 5322 Message-ID, with or without its angle brackets. */
export const messageIdSchema = z.string().trim().min(3).max(998);
export const tagSchema = z.string().trim().min(1).max(LIMITS.tag);

/**
 * What the sending system knows of a ticket beyond our fields, e.g. `{ "customerTier": "gold",
 * "plan": "enterprise", "seats": 250 }`: flat, small and typed, so policies and rules can match on it.
 */
export const METADATA_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const metadataKeySchema = z
  .string()
  .regex(METADATA_KEY_PATTERN, 'keys are letters, digits, _ . - and start with a letter');
export const metadataValueSchema = z.union([z.string().max(LIMITS.metadataValue), z.number(), z.boolean()]);
export const ticketMetadataSchema = z
  .record(metadataKeySchema, metadataValueSchema)
  .refine((metadata) => Object.keys(metadata).length <= LIMITS.metadataKeys, {
    message: `at most ${LIMITS.metadataKeys} keys`,
  });
/** A change to metadata: each key given is set, a key given as null is removed. */
export const ticketMetadataPatchSchema = z.record(metadataKeySchema, metadataValueSchema.nullable());
/** A policy's or rule's condition on metadata: per key, the values that match. */
export const metadataMatchSchema = z.record(metadataKeySchema, z.array(metadataValueSchema).min(1).max(50));
export type MetadataValue = z.infer<typeof metadataValueSchema>;
export type TicketMetadata = Record<string, MetadataValue>;

export const customerIdentitySchema = z
  .strictObject({
    email: z.email().max(320).optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9 ()-]{5,32}$/, 'must be a phone number')
      .optional(),
    handle: z.string().trim().min(1).max(200).optional(),
    name: z.string().trim().min(1).max(LIMITS.name).optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 locale such as en or tr-TR')
      .optional(),
  })
  .refine((c) => Boolean(c.email ?? c.phone ?? c.handle), {
    message: 'needs at least one of email, phone or handle',
  });
export type CustomerIdentity = z.infer<typeof customerIdentitySchema>;
