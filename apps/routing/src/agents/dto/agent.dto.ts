import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { AGENT_STATUSES, type AgentStatus } from '../agent.entity';

export const SKILL = /^[a-z0-9][a-z0-9_:.-]{0,49}$/;

export class CreateAgentDto {
  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: ['lang:tr', 'billing'], description: 'Skills; languages as lang:<iso 639-1>' })
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SKILL, { each: true, message: 'each skill must be lower-case like billing or lang:tr' })
  skills: string[];

  @ApiProperty({ minimum: 0, maximum: 1000, description: 'How many open tickets at once' })
  @IsInt()
  @Min(0)
  @Max(1000)
  capacity: number;

  @ApiProperty({ enum: AGENT_STATUSES })
  @IsIn(AGENT_STATUSES)
  status: AgentStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  teamId?: string;
}

export class UpdateAgentDto extends PartialType(CreateAgentDto) {}
