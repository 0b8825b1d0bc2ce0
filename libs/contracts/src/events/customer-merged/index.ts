import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

/** Two records were one person: the source's identities and tickets now belong to the target. */
export const CustomerMerged = defineEvent({
  type: 'customer.merged',
  topic: Topic.CustomerEvents,
  version: 1,
  data: z.strictObject({
    targetCustomerId: uuidSchema,
    sourceCustomerId: uuidSchema,
    movedTicketIds: z.array(uuidSchema),
    /** How many addresses moved; which ones stays in intake (personal data). */
    movedIdentityCount: z.int().nonnegative(),
    mergedBy: z.string(),
    mergedAt: isoTimeSchema,
  }),
});
