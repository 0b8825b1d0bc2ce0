import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, buildEvent, type EventData } from '@app/contracts';
import { type ChangeCause, eventMeta, OutboxWriter } from '@app/messaging';
import { TimelineWriter } from '../timeline/timeline.writer';
import { Ticket } from './ticket.entity';

export const INTAKE_SOURCE = 'ticketflow/intake';

type TicketEventType = 'ticket.created' | 'ticket.message.added' | 'ticket.status.changed' | 'ticket.updated';

/**
 * Emits a ticket's events through the outbox with a gap-free per-ticket sequence. The caller holds
 * the ticket row lock (FOR UPDATE), which makes the sequence and the outbox order agree.
 */
@Injectable()
export class TicketEventEmitter {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly timeline: TimelineWriter,
  ) {}

  async emit<T extends TicketEventType>(
    manager: EntityManager,
    ticket: Ticket,
    type: T,
    data: EventData<T>,
    cause: ChangeCause,
  ): Promise<void> {
    ticket.lastSequence += 1;
    await manager.update(Ticket, { id: ticket.id }, { lastSequence: ticket.lastSequence });
    const meta = eventMeta(INTAKE_SOURCE, ticket.id, ticket.tenant, cause);
    const event = buildEvent(type, data, { ...meta, sequence: ticket.lastSequence });
    await this.outbox.append(manager, event);
    await this.timeline.record(manager, ticket.id, event as AnyEvent);
  }
}
