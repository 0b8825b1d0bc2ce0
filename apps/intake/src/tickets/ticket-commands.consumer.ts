import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type EventEnvelope, InvalidEventError } from '@app/contracts';
import { type EventContext, HandlesEvent } from '@app/messaging';
import { refusalsAsInvalid } from './refusals';
import { canTransition } from './status-transitions';
import { TicketChangesHandler } from './ticket-changes.handler';

/**
 * Commands the other services send intake on the internal tickets.commands.v1, which no outside
 * publisher may write to: a command from there is the system's own.
 */
@Controller()
export class TicketCommandsConsumer {
  private readonly logger = new Logger(TicketCommandsConsumer.name);

  constructor(private readonly changes: TicketChangesHandler) {}

  /** Auto-close and auto-solve: applied only while the ticket is still where the automation saw it. */
  @HandlesEvent('ticket.transition.requested')
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
}
