import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

/** A customer rated how a solved ticket was handled (CSAT). */
export const SurveyAnswered = defineEvent({
  type: 'survey.answered',
  topic: Topic.NotificationEvents,
  version: 1,
  data: z.strictObject({
    ticketId: uuidSchema,
    surveyId: uuidSchema,
    /** 1 (very dissatisfied) to 5 (very satisfied); 1 and 2 start a recovery step. */
    score: z.int().min(1).max(5),
    /** The customer's own words; consumers must not log it. */
    comment: z.string().nullable(),
    answeredAt: isoTimeSchema,
  }),
});
