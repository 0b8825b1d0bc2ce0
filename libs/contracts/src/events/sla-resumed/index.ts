import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, slaMetricSchema, uuidSchema } from '../../values';

/** The clock counts again; its due time moved by the time it was paused. */
export const SlaResumed = defineEvent({
  type: 'sla.resumed',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    pausedMs: z.int().nonnegative(),
    dueAt: isoTimeSchema,
    resumedAt: isoTimeSchema,
  }),
});
