import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope, InvalidEventError } from '@app/contracts';
import { ApiError } from '@app/http';
import { type EventContext } from '@app/messaging';
import { ConversationHandler } from '../conversations/conversation.handler';
import { normaliseMessageId } from '../conversations/message-id';
import { CreateTicketHandler, ticketFromRequest } from '../tickets/create-ticket.handler';
import { canTransition } from '../tickets/status-transitions';
import { TicketChangesHandler } from '../tickets/ticket-changes.handler';

/**
 * Other systems' CloudEvents on tickets.inbound.v1. The transport already validated them and
 * deduplicated them by (source, id). An event the domain refuses (a ticketId that does not exist,
 * a closed ticket) is the event's own fault: it goes to the DLQ at once with the refusal's code.
 */
@Controller()
export class InboundConsumer {
  private readonly logger = new Logger(InboundConsumer.name);

  constructor(
    private readonly createTicket: CreateTicketHandler,
    private readonly conversations: ConversationHandler,
    private readonly changes: TicketChangesHandler,
  ) {}

  @EventPattern('ticket.requested')
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

  @EventPattern('ticket.message.received')
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

  /** Auto-close and auto-solve: applied only while the ticket is still where the automation saw it. */
  @EventPattern('ticket.transition.requested')
  async onTransitionRequested(
    @Payload() event: EventEnvelope<'ticket.transition.requested'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { ticketId, from, to, reason } = event.data;
    if (!canTransition(from, to)) {
      throw new InvalidEventError('refused', `A ${from} ticket cannot become ${to}`);
    }
    await refusalsAsInvalid(async () => {
      const ticket = await this.changes.lock(ctx.manager, event.tenant, ticketId);
      if (ticket.status !== from) {
        this.logger.log({
          msg: 'Transition no longer applies',
          ticketId,
          reason,
          status: ticket.status,
          from,
        });
        return;
      }
      await this.changes.changeStatus(ctx.manager, ticket, to, 'automation', { kind: 'event', event });
    });
  }

  @EventPattern('conversation.escalated')
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

async function refusalsAsInvalid(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError && error.getStatus() < 500) {
      throw new InvalidEventError('refused', `${error.code}: ${error.message}`);
    }
    throw error;
  }
}
