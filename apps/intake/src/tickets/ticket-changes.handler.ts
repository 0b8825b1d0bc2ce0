import { HttpStatus, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { isDeepStrictEqual } from 'node:util';
import {
  type Channel,
  type EventData,
  LIMITS,
  type MetadataValue,
  type Priority,
  type TicketStatus,
} from '@app/contracts';
import { type ChangeCause } from '@app/messaging';
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
  channel?: Channel;
  /** The sender's id for the message, e.g. an email Message-ID without brackets. */
  externalMessageId?: string;
}

export interface TicketChanges {
  status?: TicketStatus;
  priority?: Priority;
  tags?: string[];
  category?: string;
  /** Keys given are set; a key given as null is removed. */
  metadata?: Record<string, MetadataValue | null>;
}

type StatusReason = NonNullable<EventData<'ticket.status.changed'>['reason']>;
type FieldChanges = EventData<'ticket.updated'>['changes'];

/**
 * Messages, status, priority, tags and category. Callers hold the ticket row lock (`lock`), which
 * keeps the per-ticket event sequence in the order the changes happened.
 */
@Injectable()
export class TicketChangesHandler {
  constructor(private readonly events: TicketEventEmitter) {}

  async lock(manager: EntityManager, tenant: string, ticketId: string): Promise<Ticket> {
    const ticket = await manager.findOne(Ticket, {
      where: { id: ticketId, tenant },
      lock: { mode: 'pessimistic_write' },
    });
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${ticketId}`);
    return ticket;
  }

  /**
   * Adds a message to a locked ticket. A customer message starts waiting for an answer and takes a
   * pending ticket back to open; the first public agent message is the first response, and each
   * later one that answers a waiting customer message is a next response.
   */
  async addMessage(
    manager: EntityManager,
    ticket: Ticket,
    input: NewMessage,
    cause: ChangeCause,
  ): Promise<Message> {
    if (ticket.status === 'closed') {
      throw new ApiError(HttpStatus.CONFLICT, 'ticket_closed', 'A closed ticket takes no more messages');
    }
    const internal = input.author === 'agent' && Boolean(input.internal);
    const message = await manager.save(
      manager.create(Message, {
        tenant: ticket.tenant,
        ticketId: ticket.id,
        author: input.author,
        agentId: input.agentId ?? null,
        body: input.body,
        internal,
        channel: input.channel ?? (input.author === 'customer' ? ticket.channel : null),
        externalMessageId: input.externalMessageId ?? null,
      }),
    );
    const publicAgentReply = input.author === 'agent' && !internal;
    const firstResponse = publicAgentReply && ticket.firstResponseAt === null;
    const nextResponse = publicAgentReply && !firstResponse && ticket.awaitingReplySince !== null;
    if (publicAgentReply) {
      if (firstResponse) ticket.firstResponseAt = message.createdAt;
      ticket.lastResponseAt = message.createdAt;
      ticket.awaitingReplySince = null;
    } else if (input.author === 'customer') {
      ticket.awaitingReplySince ??= message.createdAt;
    }
    await manager.update(
      Ticket,
      { id: ticket.id },
      {
        firstResponseAt: ticket.firstResponseAt,
        lastResponseAt: ticket.lastResponseAt,
        awaitingReplySince: ticket.awaitingReplySince,
      },
    );
    await this.events.emit(
      manager,
      ticket,
      'ticket.message.added',
      {
        ticketId: ticket.id,
        messageId: message.id,
        author: input.author,
        agentId: input.agentId ?? null,
        internal,
        firstResponse,
        nextResponse,
        channel: message.channel ?? undefined,
        body: publicAgentReply ? message.body : undefined,
        createdAt: message.createdAt.toISOString(),
      },
      cause,
    );
    if (publicAgentReply && ticket.status === 'new') {
      await this.changeStatus(manager, ticket, 'open', 'agent_reply', cause);
    }
    if (input.author === 'customer' && (ticket.status === 'pending' || ticket.status === 'solved')) {
      await this.changeStatus(manager, ticket, 'open', 'customer_reply', cause);
    }
    return message;
  }

  async update(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    changes: TicketChanges,
    cause: ChangeCause,
  ): Promise<Ticket> {
    const ticket = await this.lock(manager, tenant, ticketId);
    const wasClosed = ticket.status === 'closed';
    if (changes.status && changes.status !== ticket.status) {
      if (!canTransition(ticket.status, changes.status)) {
        throw new ApiError(
          HttpStatus.CONFLICT,
          'illegal_status_transition',
          `A ${ticket.status} ticket cannot become ${changes.status}`,
        );
      }
      await this.changeStatus(manager, ticket, changes.status, 'agent', cause);
    }
    const fieldChanges = this.applyFieldChanges(ticket, changes);
    if (Object.keys(fieldChanges).length > 0) {
      if (wasClosed) {
        throw new ApiError(HttpStatus.CONFLICT, 'ticket_closed', 'A closed ticket cannot be edited');
      }
      await manager.update(
        Ticket,
        { id: ticket.id },
        {
          priority: ticket.priority,
          category: ticket.category,
          tags: ticket.tags,
          metadata: ticket.metadata,
        },
      );
      await this.events.emit(
        manager,
        ticket,
        'ticket.updated',
        {
          ticketId: ticket.id,
          changes: fieldChanges,
          priority: ticket.priority,
          category: ticket.category,
          tags: ticket.tags,
          metadata: ticket.metadata,
          changedAt: new Date().toISOString(),
        },
        cause,
      );
    }
    return manager.findOneByOrFail(Ticket, { id: ticket.id });
  }

  async changeStatus(
    manager: EntityManager,
    ticket: Ticket,
    to: TicketStatus,
    reason: StatusReason,
    cause: ChangeCause,
  ): Promise<void> {
    const from = ticket.status;
    const now = new Date();
    ticket.status = to;
    if (to === 'solved') ticket.solvedAt = now;
    if (to === 'closed') ticket.closedAt = now;
    if (from === 'solved' && to === 'open') ticket.solvedAt = null;
    await manager.update(
      Ticket,
      { id: ticket.id },
      { status: to, solvedAt: ticket.solvedAt, closedAt: ticket.closedAt },
    );
    await this.events.emit(
      manager,
      ticket,
      'ticket.status.changed',
      { ticketId: ticket.id, from, to, reason, changedAt: now.toISOString() },
      cause,
    );
  }

  /** Applies what actually differs and describes it; an edit that changes nothing emits nothing. */
  private applyFieldChanges(ticket: Ticket, changes: TicketChanges): FieldChanges {
    const described: FieldChanges = {};
    if (changes.priority && changes.priority !== ticket.priority) {
      described.priority = { from: ticket.priority, to: changes.priority };
      ticket.priority = changes.priority;
    }
    if (changes.category !== undefined) {
      const category = changes.category.trim() || null;
      if (category !== ticket.category) {
        described.category = { from: ticket.category, to: category };
        ticket.category = category;
      }
    }
    if (changes.tags) {
      const tags = [...new Set(changes.tags)];
      const added = tags.filter((tag) => !ticket.tags.includes(tag));
      const removed = ticket.tags.filter((tag) => !tags.includes(tag));
      if (added.length > 0 || removed.length > 0) {
        described.tags = { from: ticket.tags, to: tags, added, removed };
        ticket.tags = tags;
      }
    }
    if (changes.metadata) {
      const metadata = { ...ticket.metadata };
      for (const [key, value] of Object.entries(changes.metadata)) {
        if (value === null) delete metadata[key];
        else metadata[key] = value;
      }
      if (Object.keys(metadata).length > LIMITS.metadataKeys) {
        throw new ApiError(
          HttpStatus.UNPROCESSABLE_ENTITY,
          'too_many_metadata_keys',
          `A ticket carries at most ${LIMITS.metadataKeys} metadata keys`,
        );
      }
      if (!isDeepStrictEqual(metadata, ticket.metadata)) {
        described.metadata = { from: ticket.metadata, to: metadata };
        ticket.metadata = metadata;
      }
    }
    return described;
  }
}
