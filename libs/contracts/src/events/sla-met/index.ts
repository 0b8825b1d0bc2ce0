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
    /**
     * True when the ticket was in fact solved before its due time and a breach fired only because
     * the solve reached this service later: the earlier `sla.breached` of this clock no longer holds.
     */
    revokesBreach: z.boolean().optional(),
  }),
});
