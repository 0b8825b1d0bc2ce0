import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext, HandlesEvent } from '@app/messaging';
import { ConversationHandler } from '../conversations/conversation.handler';
import { normaliseMessageId } from '../conversations/message-id';
import { CreateTicketHandler, ticketFromRequest } from '../tickets/create-ticket.handler';
import { refusalsAsInvalid } from '../tickets/refusals';

/**
 * Other systems' CloudEvents on tickets.inbound.v1. The transport already checked each record's
 * publisher signature and that the event's tenant is one of that publisher's, validated it and
 * deduplicated it by (tenant, source, id). An event the domain refuses (a ticketId that does not
 * exist, a closed ticket) is the event's own fault: it goes to the DLQ at once with the refusal's code.
 */
@Controller()
export class InboundConsumer {
  constructor(
    private readonly createTicket: CreateTicketHandler,
    private readonly conversations: ConversationHandler,
  ) {}

  @HandlesEvent('ticket.requested')
  onTicketRequested(
    @Payload() event: EventEnvelope<'ticket.requested'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    return refusalsAsInvalid(async () => {
      await this.createTicket.execute(ctx.manager, event.tenant, ticketFromRequest(event.data), {
        kind: 'event',
        event,
      });
    });
  }

  @HandlesEvent('ticket.message.received')
  onMessageReceived(
    @Payload() event: EventEnvelope<'ticket.message.received'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { messageId, inReplyTo, references, ...message } = event.data;
    return refusalsAsInvalid(async () => {
      await this.conversations.receive(
        ctx.manager,
        event.tenant,
        {
          ...message,
          messageId: messageId ? normaliseMessageId(messageId, 'messageId') : undefined,
          replyTo: [
            ...(inReplyTo ? [normaliseMessageId(inReplyTo, 'inReplyTo')] : []),
            ...[...(references ?? [])].reverse().map((id) => normaliseMessageId(id, 'references')),
          ],
        },
        { kind: 'event', event },
      );
    });
  }

  @HandlesEvent('conversation.escalated')
  onConversationEscalated(
    @Payload() event: EventEnvelope<'conversation.escalated'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { transcript, reason, subject, ...conversation } = event.data;
    return refusalsAsInvalid(async () => {
      await this.createTicket.execute(
        ctx.manager,
        event.tenant,
        {
          ...conversation,
          subject: subject ?? `Chatbot handover: ${reason}`.slice(0, 300),
          priority: 'high',
          escalationReason: reason,
          messages: transcript.map((line) => ({
            author: line.from,
            body: line.text,
            createdAt: line.at ? new Date(line.at) : undefined,
          })),
        },
        { kind: 'event', event },
      );
    });
  }
}
