import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { LIMITS } from '@app/contracts';
import { CustomerDto } from '../tickets/dto/create-ticket.dto';

/** What a chat widget posts for each visitor message. */
export class ChatMessageDto {
  @ApiProperty({
    description: 'The chat session: every message in it belongs to one ticket',
    example: 'chat-8f3a',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  conversationId: string;

  @ApiProperty({ description: 'The widget’s id for this message; posting it again changes nothing' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  messageId: string;

  @ApiProperty({ type: CustomerDto })
  // @ValidateNested() passes a missing object: without this, no visitor reached the handler as a 500.
  @IsDefined()
  @ValidateNested()
  @Type(() => CustomerDto)
  visitor: CustomerDto;

  @ApiProperty({ maxLength: LIMITS.body })
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.body)
  text: string;

  @ApiPropertyOptional({ maxLength: LIMITS.subject, description: 'Used when the message opens a ticket' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(LIMITS.subject)
  subject?: string;
}
