import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext } from '@app/messaging';
import { ClockService } from './clock.service';
import { SlaClock } from './sla-clock.entity';

@Controller()
export class TicketEventsConsumer {
  constructor(private readonly clocks: ClockService) {}

  @EventPattern('ticket.created')
  onCreated(@Payload() event: EventEnvelope<'ticket.created'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.clocks.startClocks(ctx.manager, event);
  }

  @EventPattern('ticket.message.added')
  onMessage(
    @Payload() event: EventEnvelope<'ticket.message.added'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    return this.clocks.messageAdded(ctx.manager, event);
  }

  @EventPattern('ticket.status.changed')
  onStatusChanged(
    @Payload() event: EventEnvelope<'ticket.status.changed'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    return this.clocks.statusChanged(ctx.manager, event);
  }

  /** Escalations notify the assignee, so each clock remembers who that is. */
  @EventPattern('ticket.assigned')
  async onAssigned(
    @Payload() event: EventEnvelope<'ticket.assigned'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    await ctx.manager.update(
      SlaClock,
      { tenant: event.tenant, ticketId: event.data.ticketId },
      { assigneeId: event.data.agentId },
    );
  }
}
