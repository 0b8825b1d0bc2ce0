import { Inject, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Channel, type CustomerIdentity } from '@app/contracts';
import { type ChangeCause } from '@app/messaging';
import { conflict } from '@app/http';
import { MetricsService } from '@app/observability';
import { type Counter } from 'prom-client';
import { type ConversationConfig } from '../config/intake.config';
import { CustomerResolver, type ResolvedCustomer } from '../customers/customer-resolver';
import { CreateTicketHandler } from '../tickets/create-ticket.handler';
import { Message } from '../tickets/message.entity';
import { TicketChangesHandler } from '../tickets/ticket-changes.handler';
import { Ticket } from '../tickets/ticket.entity';
import { type ConversationHints, ConversationMatcher, type MatchedBy } from './conversation-matcher';

export const CONVERSATION_CONFIG = Symbol('CONVERSATION_CONFIG');

/** A customer's message from any channel, with whatever it says about its conversation. */
export interface CustomerMessage extends ConversationHints {
  channel: Channel;
  customer: CustomerIdentity;
  body: string;
  /** The sender's id for this message; the same id again is the same message. */
  messageId?: string;
}

/**
 * - `created`: no conversation matched, so a new ticket;
 * - `appended`: joined an open ticket;
 * - `reopened`: joined a solved ticket within the reopen window, which is open again;
 * - `follow_up`: the conversation's ticket was closed (or solved too long ago): a new ticket linked to it;
 * - `duplicate`: this message id was received before; nothing changed.
 */
export type ConversationOutcome = 'created' | 'appended' | 'reopened' | 'follow_up' | 'duplicate';

export interface ReceivedMessage {
  ticket: Ticket;
  /** The message this one is, or was the first time: in `ticket`. */
  messageId: string;
  outcome: ConversationOutcome;
  matchedBy: MatchedBy | null;
}

const SUBJECT_FROM_BODY_LENGTH = 80;

/** One conversation per issue: a follow-up joins the ticket it continues instead of opening another. */
@Injectable()
export class ConversationHandler {
  private readonly outcomes: Counter;

  constructor(
    @Inject(CONVERSATION_CONFIG) private readonly config: ConversationConfig,
    private readonly customers: CustomerResolver,
    private readonly matcher: ConversationMatcher,
    private readonly createTicket: CreateTicketHandler,
    private readonly changes: TicketChangesHandler,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter(
      'inbound_messages_total',
      'Customer messages received, by channel and what they did to the conversation',
      ['channel', 'outcome'],
    );
  }

  async receive(
    manager: EntityManager,
    tenant: string,
    message: CustomerMessage,
    cause: ChangeCause,
    /** The sender, when the caller already knows them (a message posted on a ticket's own route). */
    knownCustomer?: ResolvedCustomer,
  ): Promise<ReceivedMessage> {
    const result = await this.apply(manager, tenant, message, cause, knownCustomer);
    this.outcomes.inc({ channel: message.channel, outcome: result.outcome });
    return result;
  }

  /** A customer message posted on a ticket's own route: the sender is that ticket's customer. */
  async receiveOnTicket(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    input: { body: string; channel?: Channel },
    cause: ChangeCause,
  ): Promise<ReceivedMessage & { message: Message }> {
    const ticket = await this.changes.lock(manager, tenant, ticketId);
    const received = await this.receive(
      manager,
      tenant,
      { ticketId, channel: input.channel ?? ticket.channel, customer: {}, body: input.body },
      cause,
      await this.customers.byId(manager, ticket.customerId),
    );
    return { ...received, message: await manager.findOneByOrFail(Message, { id: received.messageId }) };
  }

  private async apply(
    manager: EntityManager,
    tenant: string,
    message: CustomerMessage,
    cause: ChangeCause,
    knownCustomer: ResolvedCustomer | undefined,
  ): Promise<ReceivedMessage> {
    // Two deliveries of one message, or two messages of one new thread, must not both open a ticket.
    const keys = [
      message.messageId && `message:${tenant}:${message.messageId}`,
      message.threadRef && `thread:${tenant}:${message.threadRef}`,
      message.externalId && `external:${tenant}:${message.externalId}`,
    ].filter((key): key is string => Boolean(key));
    for (const key of keys.sort()) await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);

    if (message.messageId) {
      const seen = await manager.findOneBy(Message, { tenant, externalMessageId: message.messageId });
      if (seen) {
        const ticket = await manager.findOneByOrFail(Ticket, { id: seen.ticketId });
        // A redelivery comes from the same sender. Anyone else reusing the id learns nothing.
        const sameSender =
          knownCustomer?.id === ticket.customerId ||
          (await this.customers.isKnownAs(manager, tenant, ticket.customerId, message.customer));
        if (!sameSender) {
          throw conflict('message_id_conflict', 'This message id belongs to a message of another sender');
        }
        return { ticket, messageId: seen.id, outcome: 'duplicate', matchedBy: null };
      }
    }

    const customer = knownCustomer ?? (await this.customers.resolve(manager, tenant, message.customer));
    const match = await this.matcher.find(manager, tenant, message, customer.id);
    if (!match) {
      return {
        ...(await this.open(manager, tenant, message, customer, cause)),
        outcome: 'created',
        matchedBy: null,
      };
    }

    let ticket = await this.changes.lock(manager, tenant, match.ticketId);
    if (!this.accepts(ticket)) {
      // The customer may already be writing in the follow-up of this conversation.
      const followUp = await manager.findOne(Ticket, {
        where: { tenant, followUpOf: ticket.id },
        order: { createdAt: 'DESC' },
      });
      if (followUp) {
        const locked = await this.changes.lock(manager, tenant, followUp.id);
        if (this.accepts(locked)) ticket = locked;
      }
    }
    if (!this.accepts(ticket)) {
      const opened = await this.open(manager, tenant, message, customer, cause, ticket);
      return { ...opened, outcome: 'follow_up', matchedBy: match.matchedBy };
    }

    const wasSolved = ticket.status === 'solved';
    const added = await this.changes.addMessage(
      manager,
      ticket,
      {
        author: 'customer',
        body: message.body,
        channel: message.channel,
        externalMessageId: message.messageId,
      },
      cause,
    );
    return {
      ticket,
      messageId: added.id,
      outcome: wasSolved ? 'reopened' : 'appended',
      matchedBy: match.matchedBy,
    };
  }

  /** Open tickets take the message; a solved one only within the reopen window; a closed one never. */
  private accepts(ticket: Ticket): boolean {
    if (ticket.status === 'closed') return false;
    if (ticket.status !== 'solved') return true;
    const solvedAt = ticket.solvedAt ?? ticket.updatedAt;
    return Date.now() - solvedAt.getTime() <= this.config.reopenWindowMs;
  }

  private async open(
    manager: EntityManager,
    tenant: string,
    message: CustomerMessage,
    customer: ResolvedCustomer,
    cause: ChangeCause,
    previous?: Ticket,
  ): Promise<{ ticket: Ticket; messageId: string }> {
    const { ticket } = await this.createTicket.execute(
      manager,
      tenant,
      {
        channel: message.channel,
        customer: message.customer,
        subject: message.subject ?? previous?.subject ?? subjectFromBody(message.body),
        // A follow-up keeps what the agents knew about the conversation.
        priority: previous?.priority,
        category: previous?.category ?? undefined,
        tags: previous?.tags,
        metadata: previous?.metadata,
        externalId: previous ? undefined : message.externalId,
        threadRef: message.threadRef ?? previous?.threadRef ?? undefined,
        followUpOf: previous?.id,
        messages: [{ author: 'customer', body: message.body, externalMessageId: message.messageId }],
      },
      cause,
      customer,
    );
    const first = await manager.findOneOrFail(Message, {
      where: { ticketId: ticket.id },
      order: { createdAt: 'ASC' },
    });
    return { ticket, messageId: first.id };
  }
}

function subjectFromBody(body: string): string {
  const firstLine = body.trim().split('\n')[0]?.trim() ?? '';
  if (firstLine.length <= SUBJECT_FROM_BODY_LENGTH) return firstLine || '(no subject)';
  return `${firstLine.slice(0, SUBJECT_FROM_BODY_LENGTH - 1).trimEnd()}…`;
}
