import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { type TicketStatus } from '@app/contracts';
import { TicketMatchDto } from '@app/http';
import { MaxDuration } from '../policy-targets';

const DURATION = /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const DURATION_MESSAGE = '$property must be an ISO 8601 duration such as PT30M, PT4H or P2D';
const PAUSABLE: TicketStatus[] = ['pending', 'on_hold'];

export class MetricTargetsDto {
  @ApiPropertyOptional({ example: 'PT1H' })
  @IsOptional()
  @Matches(DURATION, { message: DURATION_MESSAGE })
  @MaxDuration()
  firstResponse?: string;
  @ApiPropertyOptional({ example: 'PT4H' })
  @IsOptional()
  @Matches(DURATION, { message: DURATION_MESSAGE })
  @MaxDuration()
  nextResponse?: string;
  @ApiPropertyOptional({ example: 'P2D' })
  @IsOptional()
  @Matches(DURATION, { message: DURATION_MESSAGE })
  @MaxDuration()
  resolution?: string;
}

export class PriorityTargetsDto {
  @ApiPropertyOptional({ type: MetricTargetsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => MetricTargetsDto)
  urgent?: MetricTargetsDto;
  @ApiPropertyOptional({ type: MetricTargetsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => MetricTargetsDto)
  high?: MetricTargetsDto;
  @ApiPropertyOptional({ type: MetricTargetsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => MetricTargetsDto)
  normal?: MetricTargetsDto;
  @ApiPropertyOptional({ type: MetricTargetsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => MetricTargetsDto)
  low?: MetricTargetsDto;
}

export class PolicyTargetsDto extends MetricTargetsDto {
  @ApiPropertyOptional({
    type: PriorityTargetsDto,
    example: { urgent: { firstResponse: 'PT15M' } },
    description: 'Targets for one priority; a metric not named there falls back to the targets above',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PriorityTargetsDto)
  byPriority?: PriorityTargetsDto;
}

/** assignee, team_lead, agent:<uuid> (a named agent) or webhook:<https URL>. */
const RECIPIENT = /^(assignee|team_lead|agent:[0-9a-f-]{36}|webhook:https?:\/\/\S+)$/;

export class EscalationStepDto {
  @ApiProperty({ example: 'PT30M', description: 'Offset from the breach' })
  @Matches(DURATION, { message: DURATION_MESSAGE })
  @MaxDuration()
  after: string;
  @ApiProperty({
    example: ['assignee', 'team_lead'],
    description: 'assignee, team_lead, agent:<id> or webhook:<url>',
  })
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(RECIPIENT, {
    each: true,
    message: 'each of notify must be assignee, team_lead, agent:<id> or webhook:<url>',
  })
  notify: string[];
}

export class SlaPolicyDto {
  @ApiProperty({ example: 'Urgent tickets' }) @IsString() @IsNotEmpty() @MaxLength(200) name: string;

  @ApiPropertyOptional({
    description: 'Policies are tried lowest first; defaults to before the existing ones',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  position?: number;

  @ApiProperty({ type: TicketMatchDto }) @ValidateNested() @Type(() => TicketMatchDto) match: TicketMatchDto;
  @ApiProperty({ type: PolicyTargetsDto })
  @ValidateNested()
  @Type(() => PolicyTargetsDto)
  targets: PolicyTargetsDto;
  @ApiPropertyOptional({ description: 'Business-hours calendar; none means around the clock' })
  @IsOptional()
  @IsUUID()
  calendarId?: string;

  @ApiPropertyOptional({ enum: PAUSABLE, isArray: true, default: PAUSABLE })
  @IsOptional()
  @IsArray()
  @IsIn(PAUSABLE, { each: true })
  pauseOn?: TicketStatus[];

  @ApiPropertyOptional({ example: [0.75], default: [0.75] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsNumber({}, { each: true })
  @Min(0.01, { each: true })
  @Max(0.99, { each: true })
  warnAt?: number[];

  @ApiPropertyOptional({ type: [EscalationStepDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => EscalationStepDto)
  escalation?: EscalationStepDto[];
}
