import { HttpStatus, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Priority, type TicketStatus } from '@app/contracts';
import { ApiError, notFound } from '@app/http';
import { Message } from './message.entity';
import { canTransition } from './status-transitions';
import { TicketEventEmitter } from './ticket-event.emitter';
import { Ticket } from './ticket.entity';

export interface NewMessage {
  author: 'customer' | 'agent';
  agentId?: string;
  body: string;
  internal?: boolean;
}

export interface TicketChanges {
  status?: TicketStatus;
  priority?: Priority;
  tags?: string[];
  category?: string;
}

/** Replies and edits. Each locks the ticket row so its events keep their per-ticket order. */
@Injectable()
export class TicketChangesHandler {
  constructor(private readonly events: TicketEventEmitter) {}

  async addMessage(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    input: NewMessage,
  ): Promise<Message> {
    const ticket = await this.lock(manager, tenant, ticketId);
    if (ticket.status === 'closed') {
      throw new ApiError(HttpStatus.CONFLICT, 'ticket_closed', 'A closed ticket takes no more messages');
    }
    const internal = input.author === 'agent' && Boolean(input.internal);
    const message = await manager.save(
      manager.create(Message, {
        tenant,
        ticketId,
        author: input.author,
        agentId: input.agentId ?? null,
        body: input.body,
        internal,
      }),
    );
    // The first public agent message is the first response; internal notes never count.
    const firstResponse = input.author === 'agent' && !internal && ticket.firstResponseAt === null;
    if (firstResponse) {
      ticket.firstResponseAt = message.createdAt;
      await manager.update(Ticket, { id: ticket.id }, { firstResponseAt: message.createdAt });
    }
    await this.events.emit(
      manager,
      ticket,
      'ticket.message.added',
      {
        ticketId,
        messageId: message.id,
        author: input.author,
        agentId: input.agentId ?? null,
        internal,
        firstResponse,
        createdAt: message.createdAt.toISOString(),
      },
      { kind: 'http' },
    );
    if (input.author === 'agent' && !internal && ticket.status === 'new') {
      await this.changeStatus(manager, ticket, 'open');
    }
    return message;
  }

  async update(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    changes: TicketChanges,
  ): Promise<Ticket> {
    const ticket = await this.lock(manager, tenant, ticketId);
    if (changes.status && changes.status !== ticket.status) {
      if (!canTransition(ticket.status, changes.status)) {
        throw new ApiError(
          HttpStatus.CONFLICT,
          'illegal_status_transition',
          `A ${ticket.status} ticket cannot become ${changes.status}`,
        );
      }
      await this.changeStatus(manager, ticket, changes.status);
    }
    const fields: Partial<Ticket> = {};
    if (changes.priority) fields.priority = changes.priority;
    if (changes.tags) fields.tags = [...new Set(changes.tags)];
    if (changes.category !== undefined) fields.category = changes.category;
    if (Object.keys(fields).length > 0) await manager.update(Ticket, { id: ticket.id }, fields);
    return manager.findOneByOrFail(Ticket, { id: ticket.id });
  }

  private async changeStatus(manager: EntityManager, ticket: Ticket, to: TicketStatus): Promise<void> {
    const from = ticket.status;
    ticket.status = to;
    await manager.update(Ticket, { id: ticket.id }, { status: to });
    await this.events.emit(
      manager,
      ticket,
      'ticket.status.changed',
      { ticketId: ticket.id, from, to, changedAt: new Date().toISOString() },
      { kind: 'http' },
    );
  }

  private async lock(manager: EntityManager, tenant: string, ticketId: string): Promise<Ticket> {
    const ticket = await manager.findOne(Ticket, {
      where: { id: ticketId, tenant },
      lock: { mode: 'pessimistic_write' },
    });
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${ticketId}`);
    return ticket;
  }
}
