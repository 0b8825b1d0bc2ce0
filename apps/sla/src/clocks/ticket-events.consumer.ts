import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext, HandlesEvent } from '@app/messaging';
import { ClockService } from './clock.service';
import { SlaClock } from './sla-clock.entity';
import { SlaTicket } from './sla-ticket.entity';

@Controller()
export class TicketEventsConsumer {
  constructor(private readonly clocks: ClockService) {}

  @HandlesEvent('ticket.created')
  async onCreated(
    @Payload() event: EventEnvelope<'ticket.created'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { data } = event;
    await ctx.manager.upsert(
      SlaTicket,
      {
        tenant: event.tenant,
        ticketId: data.ticketId,
        channel: data.channel,
        priority: data.priority,
        category: data.category,
        tags: data.tags,
        metadata: data.metadata ?? {},
        status: data.status,
        openedAt: new Date(data.createdAt),
      },
      ['tenant', 'ticketId'],
    );
    await this.clocks.startClocks(ctx.manager, event);
  }

  /** Priority, category, tags or metadata changed: the ticket may now fall under another policy. */
  @HandlesEvent('ticket.updated')
  async onUpdated(
    @Payload() event: EventEnvelope<'ticket.updated'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { ticketId, priority, category, tags, metadata } = event.data;
    await ctx.manager.update(
      SlaTicket,
      { tenant: event.tenant, ticketId },
      { priority, category, tags, ...(metadata ? { metadata } : {}) },
    );
    await this.clocks.recompute(ctx.manager, event.tenant, ticketId, 'ticket_changed', {
      kind: 'event',
      event,
    });
  }

  @HandlesEvent('ticket.message.added')
  async onMessage(
    @Payload() event: EventEnvelope<'ticket.message.added'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { data } = event;
    if (data.author === 'agent' && !data.internal) {
      // The earliest public reply, whatever order the events arrive in.
      await ctx.manager.query(
        `UPDATE sla_tickets SET first_replied_at = LEAST(first_replied_at, $3)
         WHERE tenant = $1 AND ticket_id = $2`,
        [event.tenant, data.ticketId, new Date(data.createdAt)],
      );
    }
    await this.clocks.messageAdded(ctx.manager, event);
  }

  @HandlesEvent('ticket.status.changed')
  async onStatusChanged(
    @Payload() event: EventEnvelope<'ticket.status.changed'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { ticketId, to, changedAt } = event.data;
    // Solved then closed keeps the solve time; reopening clears it, the ticket is unresolved again.
    await ctx.manager.query(
      `UPDATE sla_tickets SET status = $3, updated_at = now(),
         solved_at = CASE WHEN $3 IN ('solved', 'closed') THEN COALESCE(solved_at, $4) END
       WHERE tenant = $1 AND ticket_id = $2`,
      [event.tenant, ticketId, to, new Date(changedAt)],
    );
    await this.clocks.statusChanged(ctx.manager, event);
  }

  /** Escalations notify the assignee, so each clock remembers who that is. */
  @HandlesEvent('ticket.assigned')
  async onAssigned(
    @Payload() event: EventEnvelope<'ticket.assigned'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    await ctx.manager.update(
      SlaClock,
      { tenant: event.tenant, ticketId: event.data.ticketId },
      { assigneeId: event.data.agentId },
    );
    await ctx.manager.update(
      SlaTicket,
      { tenant: event.tenant, ticketId: event.data.ticketId },
      { teamId: event.data.teamId },
    );
  }

  @HandlesEvent('ticket.reassigned')
  async onReassigned(
    @Payload() event: EventEnvelope<'ticket.reassigned'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const key = { tenant: event.tenant, ticketId: event.data.ticketId };
    await ctx.manager.update(SlaClock, key, { assigneeId: event.data.agentId });
    await ctx.manager.update(SlaTicket, key, { teamId: event.data.teamId });
  }
}
