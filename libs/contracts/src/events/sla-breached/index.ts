import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

export const SlaBreached = defineEvent({
  type: 'sla.breached',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    policyId: uuidSchema,
    policyVersion: z.int().positive(),
    dueAt: isoTimeSchema,
    breachedAt: isoTimeSchema,
  }),
});
