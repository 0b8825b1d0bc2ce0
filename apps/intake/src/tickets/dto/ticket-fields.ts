import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { LIMITS } from '@app/contracts';

/** Tags as every ticket route accepts them: a bounded list of short, non-empty strings. */
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
