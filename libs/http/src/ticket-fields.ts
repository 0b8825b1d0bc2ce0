import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { type z } from 'zod';
import {
  type Channel,
  CHANNELS,
  LIMITS,
  type MetadataValue,
  metadataMatchSchema,
  type Priority,
  PRIORITIES,
} from '@app/contracts';

/** Tags as every route accepts them: a bounded list of short, non-empty strings. */
export const TagsField = () =>
  applyDecorators(
    ApiPropertyOptional({ type: [String], maxItems: LIMITS.tags }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(LIMITS.tags),
    IsString({ each: true }),
    IsNotEmpty({ each: true }),
    MaxLength(LIMITS.tag, { each: true }),
  );

/**
 * An optional field whose shape a zod schema from @app/contracts defines, so HTTP and Kafka accept
 * exactly the same values. The error names the offending key, never its value.
 */
export const SchemaField = (schema: z.ZodType, description: string, example: unknown) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'object', additionalProperties: true, description, example }),
    IsOptional(),
    ValidateBy({
      name: 'schema',
      validator: {
        validate: (value: unknown) => schema.safeParse(value).success,
        defaultMessage: (args) => {
          const result = schema.safeParse(args?.value);
          const issue = result.success ? undefined : result.error.issues[0];
          const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
          return `${args?.property ?? 'value'}${where}: ${issue?.message ?? 'invalid'}`;
        },
      },
    }),
  );

/**
 * Conditions on a ticket's attributes, as routing rules and SLA policies match them. Every given
 * condition must hold; tags match when the ticket carries all of them.
 */
export class TicketMatchDto {
  @ApiPropertyOptional({ enum: PRIORITIES }) @IsOptional() @IsIn(PRIORITIES) priority?: Priority;
  @ApiPropertyOptional({ enum: CHANNELS }) @IsOptional() @IsIn(CHANNELS) channel?: Channel;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(LIMITS.category) category?: string;
  @TagsField() tags?: string[];
  @SchemaField(metadataMatchSchema, 'Per metadata key, the values that match', {
    customerTier: ['gold', 'platinum'],
  })
  metadata?: Record<string, MetadataValue[]>;
}
