import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

/** A rung of the policy's warning ladder: `fraction` of the target has been used up. */
export const SlaWarning = defineEvent({
  type: 'sla.warning',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    fraction: z.number().gt(0).lt(1),
    dueAt: isoTimeSchema,
    warnedAt: isoTimeSchema,
  }),
});
