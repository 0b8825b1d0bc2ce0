import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { type Channel, CHANNELS, LIMITS, type Priority, PRIORITIES } from '@app/contracts';
import { SKILL } from '../../agents/dto/agent.dto';

export class RuleMatchDto {
  @ApiPropertyOptional({ enum: CHANNELS }) @IsOptional() @IsIn(CHANNELS) channel?: Channel;
  @ApiPropertyOptional({ enum: PRIORITIES }) @IsOptional() @IsIn(PRIORITIES) priority?: Priority;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(LIMITS.category) category?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIMITS.tags)
  @IsString({ each: true })
  tags?: string[];
  @ApiPropertyOptional({ example: 'tr' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}$/, { message: 'language must be an ISO 639-1 code such as tr' })
  language?: string;
}

export class RuleAssignDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID() teamId?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(SKILL, { each: true, message: 'each skill must be lower-case like billing or lang:tr' })
  requiredSkills?: string[];
  @ApiPropertyOptional({ enum: PRIORITIES }) @IsOptional() @IsIn(PRIORITIES) priority?: Priority;
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
  @ValidateNested()
  @Type(() => RuleMatchDto)
  match: RuleMatchDto;

  @ApiProperty({ type: RuleAssignDto })
  @ValidateNested()
  @Type(() => RuleAssignDto)
  assign: RuleAssignDto;
}
