import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext, HandlesEvent } from '@app/messaging';
import { AssignmentService } from '../assignment/assignment.service';
import { Assignment } from '../assignment/assignment.entity';
import { RoutingTicket } from './routing-ticket.entity';

/** Intake's ticket events: what routing remembers of each ticket, and when to route or release it. */
@Controller()
export class TicketEventsConsumer {
  constructor(private readonly assignments: AssignmentService) {}

  @HandlesEvent('ticket.created')
  async onCreated(
    @Payload() event: EventEnvelope<'ticket.created'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { data } = event;
    await ctx.manager.upsert(
      RoutingTicket,
      {
        tenant: event.tenant,
        ticketId: data.ticketId,
        channel: data.channel,
        priority: data.priority,
        category: data.category,
        tags: data.tags,
        metadata: data.metadata ?? {},
        language: data.language,
        status: data.status,
      },
      ['tenant', 'ticketId'],
    );
    const ticket = await ctx.manager.findOneByOrFail(RoutingTicket, {
      tenant: event.tenant,
      ticketId: data.ticketId,
    });
    await this.assignments.route(ctx.manager, ticket, { kind: 'event', event });
  }

  @HandlesEvent('ticket.status.changed')
  async onStatusChanged(
    @Payload() event: EventEnvelope<'ticket.status.changed'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { ticketId, from, to } = event.data;
    const ticket = await this.ticket(ctx, event.tenant, ticketId);
    await ctx.manager.update(RoutingTicket, { tenant: event.tenant, ticketId }, { status: to });
    const cause = { kind: 'event', event } as const;
    if (to === 'solved' || to === 'closed') {
      await this.assignments.release(ctx.manager, event.tenant, ticketId, cause);
    } else if (from === 'solved' && ticket) {
      // Reopened: back to whoever had it when they still qualify and have room, else routed afresh.
      const previous = await ctx.manager.findOneBy(Assignment, { tenant: event.tenant, ticketId });
      await this.assignments.route(ctx.manager, { ...ticket, status: to }, cause, {
        prefer: previous?.agentId,
      });
    }
  }

  @HandlesEvent('ticket.updated')
  async onUpdated(
    @Payload() event: EventEnvelope<'ticket.updated'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { ticketId, priority, category, tags } = event.data;
    const ticket = await this.ticket(ctx, event.tenant, ticketId);
    if (!ticket) return;
    const changed = { priority, category, tags, metadata: event.data.metadata ?? ticket.metadata };
    Object.assign(ticket, changed);
    await ctx.manager.update(RoutingTicket, { tenant: event.tenant, ticketId }, changed);
    await this.assignments.requeue(ctx.manager, ticket);
  }

  @HandlesEvent('ticket.message.added')
  async onMessageAdded(
    @Payload() event: EventEnvelope<'ticket.message.added'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    if (!event.data.firstResponse) return;
    await this.assignments.responded(
      ctx.manager,
      event.tenant,
      event.data.ticketId,
      new Date(event.data.createdAt),
    );
  }

  /**
   * Tickets created before routing kept its own view of them are unknown here; their later events
   * change nothing rather than failing, since there is nothing to route them by.
   */
  private ticket(ctx: EventContext, tenant: string, ticketId: string): Promise<RoutingTicket | null> {
    return ctx.manager.findOneBy(RoutingTicket, { tenant, ticketId });
  }
}
