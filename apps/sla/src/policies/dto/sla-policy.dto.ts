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
  Validate,
  ValidateNested,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { type TicketStatus } from '@app/contracts';
import { describeRefusal, NOTHING_ALLOWED, refusedUrl, TicketMatchDto } from '@app/http';
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

/**
 * A `webhook:` target that is certainly internal by its spelling (loopback, private or link-local
 * addresses, metadata services, localhost) is refused when the policy is saved; notifications
 * checks again, against its allow-list, on every address a name resolves to when it connects.
 */
function refusedWebhookTarget(target: unknown): string | null {
  if (typeof target !== 'string' || !target.startsWith('webhook:')) return null;
  const refusal = refusedUrl(target.slice('webhook:'.length), NOTHING_ALLOWED);
  return refusal ? describeRefusal(refusal) : null;
}

@ValidatorConstraint({ name: 'webhookTargetsReachable' })
class WebhookTargetsReachable implements ValidatorConstraintInterface {
  validate(targets: unknown): boolean {
    return !Array.isArray(targets) || targets.every((target) => refusedWebhookTarget(target) === null);
  }

  defaultMessage(args: ValidationArguments): string {
    const targets = Array.isArray(args.value) ? (args.value as unknown[]) : [];
    const why = targets.map(refusedWebhookTarget).find((reason) => reason !== null);
    return `each webhook of notify must be a public http(s) URL: ${why ?? 'refused'}`;
  }
}

export class EscalationStepDto {
  @ApiProperty({ example: 'PT30M', description: 'Offset from the breach' })
  @Matches(DURATION, { message: DURATION_MESSAGE })
  @MaxDuration()
  after: string;
  @ApiProperty({
    example: ['assignee', 'team_lead'],
    description:
      'assignee, team_lead, agent:<id> or webhook:<url>; a webhook URL must be http(s) and not an internal address or name',
  })
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(RECIPIENT, {
    each: true,
    message: 'each of notify must be assignee, team_lead, agent:<id> or webhook:<url>',
  })
  @Validate(WebhookTargetsReachable)
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
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Business-hours calendar; none means around the clock',
  })
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
