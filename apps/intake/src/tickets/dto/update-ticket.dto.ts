import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { LIMITS, type Priority, PRIORITIES, type TicketStatus, TICKET_STATUSES } from '@app/contracts';
import { TagsField } from '@app/http';

export class UpdateTicketDto {
  @ApiPropertyOptional({ enum: TICKET_STATUSES, description: '`pending` means waiting on the customer' })
  @IsOptional()
  @IsIn(TICKET_STATUSES)
  status?: TicketStatus;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @TagsField()
  tags?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.category)
  category?: string;
}
