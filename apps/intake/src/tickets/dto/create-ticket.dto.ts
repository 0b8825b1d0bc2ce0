import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  type Channel,
  CHANNELS,
  LIMITS,
  type Priority,
  PRIORITIES,
  type TicketMetadata,
  ticketMetadataSchema,
} from '@app/contracts';
import { SchemaField, TagsField } from '@app/http';

export class CustomerDto {
  // The identity requirement is expressed on email: it is required only when phone and handle are absent.
  @ApiPropertyOptional({ example: 'ayse@example.com' })
  @ValidateIf(
    (customer: CustomerDto) => customer.email !== undefined || (!customer.phone && !customer.handle),
  )
  @IsEmail({}, { message: 'customer needs a valid email, or a phone or handle' })
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ example: '+90 555 123 45 67' })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{5,32}$/, { message: 'phone must be a phone number' })
  phone?: string;

  @ApiPropertyOptional({ example: '@ayse' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  handle?: string;

  @ApiPropertyOptional({ example: 'Ayşe Yılmaz' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.name)
  name?: string;

  @ApiPropertyOptional({ example: 'tr' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'locale must be a BCP 47 tag such as en or tr-TR' })
  locale?: string;
}

/** Mirrors `ticketRequestSchema` in @app/contracts: HTTP and the inbound topic accept the same tickets. */
export class CreateTicketDto {
  @ApiProperty({ enum: CHANNELS })
  @IsIn(CHANNELS)
  channel: Channel;

  @ApiProperty({ type: CustomerDto })
  // @ValidateNested() passes a missing object; ticketRequestSchema requires the customer.
  @IsDefined()
  @ValidateNested()
  @Type(() => CustomerDto)
  customer: CustomerDto;

  @ApiProperty({ maxLength: LIMITS.subject })
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.subject)
  subject: string;

  @ApiProperty({ maxLength: LIMITS.body })
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.body)
  body: string;

  @ApiPropertyOptional({ enum: PRIORITIES, default: 'normal' })
  @IsOptional()
  @IsIn(PRIORITIES)
  priority?: Priority;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.category)
  category?: string;

  @TagsField()
  tags?: string[];

  @ApiPropertyOptional({ description: 'Your id for this request; sending it again returns the same ticket' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.externalId)
  externalId?: string;

  @SchemaField(
    ticketMetadataSchema,
    'Your attributes of the ticket, matched by SLA policies and routing rules',
    {
      customerTier: 'gold',
      seats: 250,
    },
  )
  metadata?: TicketMetadata;
}
