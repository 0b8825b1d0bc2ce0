import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type AnyEvent, type EventEnvelope } from '@app/contracts';
import { type EventContext } from '@app/messaging';
import { Ticket } from '../tickets/ticket.entity';
import { TimelineWriter } from './timeline.writer';

/** Other services' events about a ticket, so GET /v1/tickets/:id tells the whole story. */
@Controller()
export class TimelineConsumer {
  constructor(private readonly timeline: TimelineWriter) {}

  @EventPattern('ticket.assigned')
  async onAssigned(
    @Payload() event: EventEnvelope<'ticket.assigned'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    await ctx.manager.update(
      Ticket,
      { id: event.data.ticketId, tenant: event.tenant },
      { assigneeId: event.data.agentId },
    );
    await this.record(event, ctx);
  }

  @EventPattern('ticket.reassigned')
  async onReassigned(
    @Payload() event: EventEnvelope<'ticket.reassigned'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    await ctx.manager.update(
      Ticket,
      { id: event.data.ticketId, tenant: event.tenant },
      { assigneeId: event.data.agentId },
    );
    await this.record(event, ctx);
  }

  @EventPattern('ticket.unassigned')
  async onUnassigned(
    @Payload() event: EventEnvelope<'ticket.unassigned'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    // Only if still theirs: a later assignment may already have been applied.
    await ctx.manager.update(
      Ticket,
      { id: event.data.ticketId, tenant: event.tenant, assigneeId: event.data.agentId },
      { assigneeId: null },
    );
    await this.record(event, ctx);
  }

  @EventPattern('ticket.queued')
  onQueued(@Payload() event: EventEnvelope<'ticket.queued'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.started')
  onSlaStarted(@Payload() event: EventEnvelope<'sla.started'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.paused')
  onSlaPaused(@Payload() event: EventEnvelope<'sla.paused'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.resumed')
  onSlaResumed(@Payload() event: EventEnvelope<'sla.resumed'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.warning')
  onSlaWarning(@Payload() event: EventEnvelope<'sla.warning'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.escalated')
  onSlaEscalated(@Payload() event: EventEnvelope<'sla.escalated'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.recomputed')
  onSlaRecomputed(
    @Payload() event: EventEnvelope<'sla.recomputed'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.breached')
  onSlaBreached(@Payload() event: EventEnvelope<'sla.breached'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('sla.met')
  onSlaMet(@Payload() event: EventEnvelope<'sla.met'>, @Ctx() ctx: EventContext): Promise<void> {
    return this.record(event, ctx);
  }

  @EventPattern('notification.sent')
  onNotificationSent(
    @Payload() event: EventEnvelope<'notification.sent'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    return this.record(event, ctx);
  }

  private async record(event: AnyEvent & { data: { ticketId: string } }, ctx: EventContext): Promise<void> {
    // Throwing (not skipping) when the ticket is unknown sends the event to the DLQ instead of losing it.
    await ctx.manager.findOneByOrFail(Ticket, { id: event.data.ticketId, tenant: event.tenant });
    await this.timeline.record(ctx.manager, event.data.ticketId, event);
  }
}
