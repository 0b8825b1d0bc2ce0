import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { EntityNotFoundError } from 'typeorm';
import { type AnyEvent, type EventEnvelope } from '@app/contracts';
import { type EventContext, HandlesEvent } from '@app/messaging';
import { Ticket } from '../tickets/ticket.entity';
import { TimelineWriter } from './timeline.writer';

const TIMELINE_ONLY = [
  'ticket.queued',
  'ticket.overflow.stopped',
  'sla.started',
  'sla.paused',
  'sla.resumed',
  'sla.warning',
  'sla.breached',
  'sla.escalated',
  'sla.met',
  'sla.recomputed',
  'notification.sent',
  'survey.answered',
] as const;

/** Other services' events about a ticket, so GET /v1/tickets/:id tells the whole story. */
@Controller()
export class TimelineConsumer {
  constructor(private readonly timeline: TimelineWriter) {}

  @HandlesEvent(['ticket.assigned', 'ticket.reassigned'])
  async onAssigned(
    @Payload() event: Extract<AnyEvent, { type: 'ticket.assigned' | 'ticket.reassigned' }>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    await ctx.manager.update(
      Ticket,
      { id: event.data.ticketId, tenant: event.tenant },
      { assigneeId: event.data.agentId },
    );
    await this.record(event, ctx);
  }

  @HandlesEvent('ticket.unassigned')
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

  /** Events that change nothing on the ticket itself: they only join its timeline. */
  @HandlesEvent(TIMELINE_ONLY)
  onTimelineEvent(
    @Payload() event: EventEnvelope<(typeof TIMELINE_ONLY)[number]>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    return this.record(event as AnyEvent & { data: { ticketId: string } }, ctx);
  }

  private async record(event: AnyEvent & { data: { ticketId: string } }, ctx: EventContext): Promise<void> {
    // Throwing (not skipping) when the ticket is unknown sends the event to the DLQ instead of losing it.
    if (!(await this.timeline.recordOnTicket(ctx.manager, event.data.ticketId, event))) {
      throw new EntityNotFoundError(Ticket, { id: event.data.ticketId, tenant: event.tenant });
    }
  }
}
