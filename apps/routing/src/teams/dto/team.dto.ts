import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { SKILL } from '../../agents/dto/agent.dto';

export class CreateTeamDto {
  @ApiProperty({ example: 'Billing' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  leadAgentId?: string;

  @ApiProperty({ example: ['billing'] })
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(SKILL, { each: true, message: 'each skill must be lower-case like billing or lang:tr' })
  skills: string[];
}

export class UpdateTeamDto extends PartialType(CreateTeamDto) {}
