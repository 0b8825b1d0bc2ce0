import { z } from 'zod';
import { defineEvent } from '../../define-event';
import { Topic } from '../../topics';
import { isoTimeSchema, uuidSchema } from '../../values';

/**
 * An agent was added, changed or removed: the directory other services keep to reach agents by id
 * (an SLA escalation naming `agent:<id>`). The address is personal data; consumers must not log it.
 */
export const AgentChanged = defineEvent({
  type: 'agent.changed',
  topic: Topic.AgentEvents,
  version: 1,
  data: z.strictObject({
    agentId: uuidSchema,
    name: z.string(),
    email: z.string(),
    teamId: uuidSchema.nullable(),
    status: z.enum(['online', 'away', 'offline']),
    removed: z.boolean(),
    changedAt: isoTimeSchema,
  }),
});
