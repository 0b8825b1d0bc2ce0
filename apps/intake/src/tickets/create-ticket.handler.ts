import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type TicketRequest } from '@app/contracts';
import { type ChangeCause } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type Counter } from 'prom-client';
import { CustomerResolver } from '../customers/customer-resolver';
import { Message } from './message.entity';
import { TicketEventEmitter } from './ticket-event.emitter';
import { Ticket } from './ticket.entity';

export interface CreateTicketResult {
  ticket: Ticket;
  /** False when the externalId was seen before: the existing ticket, nothing new. */
  created: boolean;
}

/** One way in for every channel: HTTP and the inbound topic both create tickets here. */
@Injectable()
export class CreateTicketHandler {
  private readonly createdCounter: Counter;

  constructor(
    private readonly customers: CustomerResolver,
    private readonly events: TicketEventEmitter,
    metrics: MetricsService,
  ) {
    this.createdCounter = metrics.counter('tickets_created_total', 'Tickets created', ['channel', 'via']);
  }

  async execute(
    manager: EntityManager,
    tenant: string,
    request: TicketRequest,
    cause: ChangeCause,
  ): Promise<CreateTicketResult> {
    if (request.externalId) {
      // Serialises concurrent requests with the same externalId; the unique index is the backstop.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `external:${tenant}:${request.externalId}`,
      ]);
      const existing = await manager.findOneBy(Ticket, { tenant, externalId: request.externalId });
      if (existing) return { ticket: existing, created: false };
    }

    const customerId = await this.customers.resolve(manager, tenant, request.customer);
    const [{ reference }] = await manager.query<Array<{ reference: string }>>(
      `SELECT 'TCK-' || lpad(nextval('ticket_reference_seq')::text, 6, '0') AS reference`,
    );
    const ticket = await manager.save(
      manager.create(Ticket, {
        tenant,
        reference,
        externalId: request.externalId ?? null,
        channel: request.channel,
        status: 'new',
        priority: request.priority ?? 'normal',
        subject: request.subject,
        category: request.category ?? null,
        tags: [...new Set(request.tags ?? [])],
        language: request.customer.locale?.split('-')[0] ?? null,
        customerId,
        assigneeId: null,
        firstResponseAt: null,
        lastSequence: 0,
      }),
    );
    await manager.insert(Message, {
      tenant,
      ticketId: ticket.id,
      author: 'customer',
      agentId: null,
      body: request.body,
      internal: false,
    });
    await this.events.emit(
      manager,
      ticket,
      'ticket.created',
      {
        ticketId: ticket.id,
        reference: ticket.reference,
        status: ticket.status,
        channel: ticket.channel,
        priority: ticket.priority,
        subject: ticket.subject,
        category: ticket.category,
        tags: ticket.tags,
        language: ticket.language,
        externalId: ticket.externalId,
        customer: {
          id: customerId,
          email: request.customer.email ?? null,
          name: request.customer.name ?? null,
          locale: request.customer.locale ?? null,
        },
        createdAt: ticket.createdAt.toISOString(),
      },
      cause,
    );
    this.createdCounter.inc({ channel: ticket.channel, via: cause.kind === 'http' ? 'http' : 'kafka' });
    return { ticket, created: true };
  }
}
