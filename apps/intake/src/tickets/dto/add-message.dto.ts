import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { type Channel, CHANNELS, LIMITS } from '@app/contracts';

export class AddMessageDto {
  @ApiProperty({ enum: ['customer', 'agent'] })
  @IsIn(['customer', 'agent'])
  author: 'customer' | 'agent';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  agentId?: string;

  @ApiProperty({ maxLength: LIMITS.body })
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.body)
  body: string;

  @ApiPropertyOptional({
    enum: CHANNELS,
    description: 'Where the message came from; the ticket’s channel by default',
  })
  @IsOptional()
  @IsIn(CHANNELS)
  channel?: Channel;

  @ApiPropertyOptional({ description: 'An internal note: never sent to the customer' })
  @IsOptional()
  @IsBoolean()
  internal?: boolean;
}
