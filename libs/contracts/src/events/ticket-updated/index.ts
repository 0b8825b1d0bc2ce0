import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, prioritySchema, ticketMetadataSchema, uuidSchema } from '../../values';

const change = <T extends z.ZodType>(value: T) => z.strictObject({ from: value, to: value });

/** Priority, tags, category or metadata changed: SLA re-matches its policy, routing its rules. */
export const TicketUpdated = defineEvent({
  type: 'ticket.updated',
  topic: Topic.TicketEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    changes: z.strictObject({
      priority: change(prioritySchema).optional(),
      category: change(z.string().nullable()).optional(),
      tags: z
        .strictObject({
          from: z.array(z.string()),
          to: z.array(z.string()),
          added: z.array(z.string()),
          removed: z.array(z.string()),
        })
        .optional(),
      metadata: change(ticketMetadataSchema).optional(),
    }),
    /** The ticket after the change, so a consumer needs no other state to re-match. */
    priority: prioritySchema,
    category: z.string().nullable(),
    tags: z.array(z.string()),
    /** Absent from events written before tickets had metadata. */
    metadata: ticketMetadataSchema.optional(),
    changedAt: isoTimeSchema,
  }),
});
