import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, buildEvent, causedBy, type EventData, type EventMeta } from '@app/contracts';
import { OutboxWriter } from '@app/messaging';
import { currentCorrelation } from '@app/observability';
import { TimelineWriter } from '../timeline/timeline.writer';
import { Ticket } from './ticket.entity';

export const INTAKE_SOURCE = 'ticketflow/intake';

type TicketEventType = 'ticket.created' | 'ticket.message.added' | 'ticket.status.changed';

/** What caused a change: an HTTP request (correlated by its header) or a consumed event. */
export type ChangeCause = { kind: 'http' } | { kind: 'event'; event: AnyEvent };

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
    const meta: EventMeta =
      cause.kind === 'event'
        ? causedBy(cause.event, INTAKE_SOURCE, ticket.id)
        : { source: INTAKE_SOURCE, subject: ticket.id, correlationId: currentCorrelation()?.correlationId };
    const event = buildEvent(type, data, { ...meta, tenant: ticket.tenant, sequence: ticket.lastSequence });
    await this.outbox.append(manager, event);
    await this.timeline.record(manager, ticket.id, event as AnyEvent);
  }
}
