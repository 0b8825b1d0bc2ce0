import { z } from 'zod';
import { uuidSchema } from './values';

/** Why an agent was not the one chosen; `chosen` for the one that was. */
export const CANDIDATE_VERDICTS = [
  'chosen',
  'offline',
  'away',
  'not_in_team',
  'missing_skills',
  'at_capacity',
  'more_loaded',
  'less_idle',
  /** Qualified, but held by a concurrent assignment at that moment. */
  'contended',
  'excluded',
] as const;
export type CandidateVerdict = (typeof CANDIDATE_VERDICTS)[number];

/**
 * How routing decided: the rule that matched, what it required, and why each other agent was not
 * chosen. `candidates` lists the nearest contenders (at most 20); `verdicts` counts every agent.
 */
export const routingDecisionSchema = z.strictObject({
  rule: z.strictObject({ id: uuidSchema, position: z.int() }).nullable(),
  teamId: uuidSchema.nullable(),
  requiredSkills: z.array(z.string()),
  /** True when the ticket's language became a required skill because some agent speaks it. */
  languageRequired: z.boolean(),
  candidates: z
    .array(
      z.strictObject({
        agentId: uuidSchema,
        verdict: z.enum(CANDIDATE_VERDICTS),
        activeCount: z.int(),
        capacity: z.int(),
        missingSkills: z.array(z.string()).optional(),
      }),
    )
    .max(20),
  verdicts: z.partialRecord(z.enum(CANDIDATE_VERDICTS), z.int().nonnegative()),
});
export type RoutingDecision = z.infer<typeof routingDecisionSchema>;
