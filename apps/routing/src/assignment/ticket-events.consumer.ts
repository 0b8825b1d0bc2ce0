import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext } from '@app/messaging';
import { AssignmentService } from './assignment.service';

@Controller()
export class TicketEventsConsumer {
  constructor(private readonly assignments: AssignmentService) {}

  @EventPattern('ticket.created')
  async onCreated(
    @Payload() event: EventEnvelope<'ticket.created'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { data } = event;
    await this.assignments.route(
      ctx.manager,
      {
        tenant: event.tenant,
        ticketId: data.ticketId,
        channel: data.channel,
        priority: data.priority,
        category: data.category,
        tags: data.tags,
        language: data.language,
      },
      { kind: 'event', event },
    );
  }

  @EventPattern('ticket.status.changed')
  async onStatusChanged(
    @Payload() event: EventEnvelope<'ticket.status.changed'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    if (event.data.to === 'solved' || event.data.to === 'closed') {
      await this.assignments.release(ctx.manager, event.tenant, event.data.ticketId, {
        kind: 'event',
        event,
      });
    }
  }
}
