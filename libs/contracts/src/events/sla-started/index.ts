import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoDurationSchema, isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

export const SlaStarted = defineEvent({
  type: 'sla.started',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    policyId: uuidSchema,
    policyVersion: z.int().positive(),
    target: isoDurationSchema,
    startedAt: isoTimeSchema,
    dueAt: isoTimeSchema,
  }),
});
