import { Body, Controller, HttpStatus, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Request, type Response } from 'express';
import { DataSource } from 'typeorm';
import { ApiError, Roles, Tenant } from '@app/http';
import {
  ConversationHandler,
  type CustomerMessage,
  type ReceivedMessage,
} from '../conversations/conversation.handler';
import { ChatMessageDto } from './chat-message.dto';
import { chatMessageKey } from '../conversations/message-id';
import { parseInboundEmail } from './inbound-email';

export const EMAIL_CONTENT_TYPES = ['message/rfc822', 'application/octet-stream', 'text/plain'];

/**
 * Webhooks of the systems that sit in front of customers: an inbound-email gateway posting raw
 * messages and a chat widget posting visitor messages. Both thread like every other channel.
 */
@ApiTags('channels')
@ApiBearerAuth()
@Controller('v1/channels')
export class ChannelsController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationHandler,
  ) {}

  @Post('email')
  @Roles('publisher')
  @ApiConsumes('message/rfc822')
  @ApiBody({
    description: 'The raw RFC 822 message as received by the mail gateway',
    schema: { type: 'string' },
  })
  @ApiOperation({
    summary: 'Receive one email',
    description:
      'Threads by In-Reply-To/References, then by the ticket reference in the subject; the same ' +
      'Message-ID again answers 200 with the first result (409 `message_id_conflict` from another sender). ' +
      'Auto-replies are acknowledged (202) and dropped. ' +
      'In-Reply-To/References join only a ticket of the same sender. A Message-ID over 998 bytes is a 400 ' +
      '`message_id_too_long`; too many MIME parts, a too large header block, or an HTML-only message ' +
      'with too much HTML is a 413 (`email_too_many_parts`, `email_header_too_large`, `email_html_too_large`).',
  })
  @ApiCreatedResponse({ description: 'A new ticket, or a message on an existing one' })
  @ApiOkResponse({ description: 'The same Message-ID again: the first result' })
  @ApiAcceptedResponse({ description: 'An auto-reply: acknowledged and dropped' })
  @ApiConflictResponse({ description: '`message_id_conflict`: the Message-ID is taken by another sender' })
  @ApiPayloadTooLargeResponse({
    description: '`email_too_many_parts`, `email_header_too_large`, `email_html_too_large`',
  })
  @ApiUnsupportedMediaTypeResponse({ description: '`unsupported_media_type`: an empty or non-raw body' })
  async email(
    @Tenant() tenant: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
      throw new ApiError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'unsupported_media_type',
        `Send the raw message with Content-Type ${EMAIL_CONTENT_TYPES[0]}`,
      );
    }
    const parsed = await parseInboundEmail(request.body);
    if (parsed.kind === 'automatic') {
      response.status(HttpStatus.ACCEPTED);
      return { outcome: 'ignored', reason: parsed.reason };
    }
    return this.receive(tenant, parsed.message, response);
  }

  @Post('chat')
  @Roles('publisher')
  @ApiOperation({
    summary: 'Receive one chat message',
    description:
      'Every message of a conversationId joins one ticket while it is open; the same messageId again changes nothing.',
  })
  @ApiCreatedResponse({ description: 'A new ticket, or a message on the conversation’s ticket' })
  @ApiOkResponse({ description: 'The same messageId again: the first result' })
  @ApiConflictResponse({ description: '`message_id_conflict`: the messageId is taken by another sender' })
  chat(
    @Tenant() tenant: string,
    @Body() body: ChatMessageDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.receive(
      tenant,
      {
        channel: 'chat',
        customer: body.visitor,
        body: body.text,
        subject: body.subject,
        threadRef: body.conversationId,
        messageId: chatMessageKey(body.conversationId, body.messageId),
      },
      response,
    );
  }

  private async receive(tenant: string, message: CustomerMessage, response: Response) {
    const received: ReceivedMessage = await this.dataSource.transaction((manager) =>
      this.conversations.receive(manager, tenant, message, { kind: 'http' }),
    );
    response.status(received.outcome === 'duplicate' ? HttpStatus.OK : HttpStatus.CREATED);
    return {
      ticketId: received.ticket.id,
      reference: received.ticket.reference,
      messageId: received.messageId,
      outcome: received.outcome,
      matchedBy: received.matchedBy,
    };
  }
}
