import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { type Channel, CHANNELS, LIMITS, type Priority, PRIORITIES } from '@app/contracts';

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
 * Conditions on a ticket's attributes, as routing rules and SLA policies match them. Every given
 * condition must hold; tags match when the ticket carries all of them.
 */
export class TicketMatchDto {
  @ApiPropertyOptional({ enum: PRIORITIES }) @IsOptional() @IsIn(PRIORITIES) priority?: Priority;
  @ApiPropertyOptional({ enum: CHANNELS }) @IsOptional() @IsIn(CHANNELS) channel?: Channel;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(LIMITS.category) category?: string;
  @TagsField() tags?: string[];
}
