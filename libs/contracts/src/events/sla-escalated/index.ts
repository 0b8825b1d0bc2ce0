import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoDurationSchema, isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

/** One step of the policy's escalation chain, `after` the breach: whom to tell now. */
export const SlaEscalated = defineEvent({
  type: 'sla.escalated',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    /** 0-based position in the chain. */
    step: z.int().nonnegative(),
    after: isoDurationSchema,
    notify: z.array(z.string()),
    assigneeId: uuidSchema.nullable(),
    breachedAt: isoTimeSchema,
    escalatedAt: isoTimeSchema,
  }),
});
