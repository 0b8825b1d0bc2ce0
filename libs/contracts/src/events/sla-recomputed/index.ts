import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoDurationSchema, isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

const terms = z.strictObject({
  policyId: uuidSchema,
  policyVersion: z.int().positive(),
  target: isoDurationSchema,
  dueAt: isoTimeSchema.nullable(),
});

/**
 * A clock moved to other terms: the ticket changed and now matches another policy, or an admin
 * applied a changed policy to open tickets. Time already counted and pauses already taken are kept.
 */
export const SlaRecomputed = defineEvent({
  type: 'sla.recomputed',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    reason: z.enum(['ticket_changed', 'policy_applied']),
    previous: terms,
    current: terms,
    elapsedMs: z.int().nonnegative(),
    recomputedAt: isoTimeSchema,
  }),
});
