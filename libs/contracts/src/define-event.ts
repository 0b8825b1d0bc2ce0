import { type z } from 'zod';
import { type Topic } from './topics';

/** One event type: the topic it travels on, its payload schema and the schema's version. */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly topic: Topic;
  readonly version: number;
  readonly data: TSchema;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return definition;
}
