import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

export const SlaMet = defineEvent({
  type: 'sla.met',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    dueAt: isoTimeSchema,
    metAt: isoTimeSchema,
  }),
});
