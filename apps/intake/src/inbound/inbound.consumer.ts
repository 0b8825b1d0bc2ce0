import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext } from '@app/messaging';
import { CreateTicketHandler } from '../tickets/create-ticket.handler';

/** Other systems' CloudEvents on tickets.inbound.v1. Validation and deduplication happened in the transport. */
@Controller()
export class InboundConsumer {
  constructor(private readonly createTicket: CreateTicketHandler) {}

  @EventPattern('ticket.requested')
  async onTicketRequested(
    @Payload() event: EventEnvelope<'ticket.requested'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    await this.createTicket.execute(ctx.manager, event.tenant, event.data, { kind: 'event', event });
  }
}
