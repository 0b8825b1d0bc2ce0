import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  LIMITS,
  type MetadataValue,
  type Priority,
  PRIORITIES,
  ticketMetadataPatchSchema,
  type TicketStatus,
  TICKET_STATUSES,
} from '@app/contracts';
import { SchemaField, TagsField } from '@app/http';

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

  @SchemaField(ticketMetadataPatchSchema, 'Metadata keys to set; a key given as null is removed', {
    customerTier: 'platinum',
    trial: null,
  })
  metadata?: Record<string, MetadataValue | null>;
}
