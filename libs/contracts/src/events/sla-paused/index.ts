import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, slaMetricSchema, ticketStatusSchema, uuidSchema } from '../../values';

/** The ticket waits on the customer (or a third party): its clock stops counting. */
export const SlaPaused = defineEvent({
  type: 'sla.paused',
  topic: Topic.SlaEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    clockId: uuidSchema,
    metric: slaMetricSchema,
    status: ticketStatusSchema,
    /** Business time counted so far, in milliseconds. */
    elapsedMs: z.int().nonnegative(),
    pausedAt: isoTimeSchema,
  }),
});
