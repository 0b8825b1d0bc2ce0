import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ISO_DURATION_PATTERN, type Priority, PRIORITIES } from '@app/contracts';
import { TicketMatchDto } from '@app/http';
import { SKILL } from '../../agents/dto/agent.dto';
import { DEFAULT_MAX_OVERFLOWS, MAX_OVERFLOWS_LIMIT } from '../routing-rule.entity';

/** A ticket condition plus the ticket's detected language. */
export class RuleMatchDto extends TicketMatchDto {
  @ApiPropertyOptional({ example: 'tr' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}$/, { message: 'language must be an ISO 639-1 code such as tr' })
  language?: string;
}

export class RuleAssignDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(SKILL, { each: true, message: 'each skill must be lower-case like billing or lang:tr' })
  requiredSkills?: string[];
  @ApiPropertyOptional({ enum: PRIORITIES, description: 'The priority the ticket queues with' })
  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @ApiPropertyOptional({
    example: 'PT30M',
    description: 'Reassign to the next qualified agent when the assignee has not answered within this time',
  })
  @IsOptional()
  @Matches(ISO_DURATION_PATTERN, { message: 'overflowAfter must be an ISO 8601 duration such as PT30M' })
  overflowAfter?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_OVERFLOWS_LIMIT,
    default: DEFAULT_MAX_OVERFLOWS,
    description:
      'How many times one ticket may be passed on for want of a first response. Then it stays with its last ' +
      'assignee and the team lead has been told; an agent it was passed on from is never chosen again for it.',
  })
  @IsOptional()
  @IsInt({ message: 'maxOverflows must be a whole number' })
  @Min(0, { message: 'maxOverflows must be at least 0' })
  @Max(MAX_OVERFLOWS_LIMIT, { message: `maxOverflows must be at most ${MAX_OVERFLOWS_LIMIT}` })
  maxOverflows?: number;
}

export class RoutingRuleDto {
  @ApiPropertyOptional({
    description: 'Order; rules are tried lowest first. Defaults to after the last rule.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  position?: number;

  @ApiProperty({ type: RuleMatchDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => RuleMatchDto)
  match: RuleMatchDto;

  @ApiProperty({ type: RuleAssignDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => RuleAssignDto)
  assign: RuleAssignDto;
}
