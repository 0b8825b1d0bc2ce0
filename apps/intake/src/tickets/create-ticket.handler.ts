import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import {
  type Channel,
  type CustomerIdentity,
  type Priority,
  type TicketMetadata,
  type TicketRequest,
} from '@app/contracts';
import { type ChangeCause } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type Counter } from 'prom-client';
import { CustomerResolver, type ResolvedCustomer } from '../customers/customer-resolver';
import { TicketLanguagePolicy } from '../language/language-detector';
import { Message, type MessageAuthor } from './message.entity';
import { TicketEventEmitter } from './ticket-event.emitter';
import { Ticket } from './ticket.entity';

export interface OpeningMessage {
  author: Extract<MessageAuthor, 'customer' | 'bot'>;
  body: string;
  externalMessageId?: string;
  createdAt?: Date;
}

/** Everything a new ticket can start with, whichever channel or event it came from. */
export interface NewTicket {
  channel: Channel;
  customer: CustomerIdentity;
  subject: string;
  priority?: Priority;
  category?: string;
  tags?: string[];
  metadata?: TicketMetadata;
  externalId?: string;
  threadRef?: string;
  followUpOf?: string;
  escalationReason?: string;
  /** The conversation so far, oldest first: one customer message, or a chatbot transcript. */
  messages: OpeningMessage[];
}

export interface CreateTicketResult {
  ticket: Ticket;
  /** False when the externalId was seen before: the existing ticket, nothing new. */
  created: boolean;
}

/** One way in for every channel: HTTP, webhooks and the inbound topic all open tickets here. */
@Injectable()
export class CreateTicketHandler {
  private readonly createdCounter: Counter;

  constructor(
    private readonly customers: CustomerResolver,
    private readonly events: TicketEventEmitter,
    private readonly languages: TicketLanguagePolicy,
    metrics: MetricsService,
  ) {
    this.createdCounter = metrics.counter('tickets_created_total', 'Tickets created', ['channel', 'via']);
  }

  async execute(
    manager: EntityManager,
    tenant: string,
    request: NewTicket,
    cause: ChangeCause,
    knownCustomer?: ResolvedCustomer,
  ): Promise<CreateTicketResult> {
    if (request.externalId) {
      // Serialises concurrent requests with the same externalId; the unique index is the backstop.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `external:${tenant}:${request.externalId}`,
      ]);
      const existing = await manager.findOneBy(Ticket, { tenant, externalId: request.externalId });
      if (existing) return { ticket: existing, created: false };
    }

    const customer = knownCustomer ?? (await this.customers.resolve(manager, tenant, request.customer));
    const customerWords = request.messages
      .filter((message) => message.author === 'customer')
      .map((message) => message.body);
    const { language, source } = this.languages.choose(
      request.customer.locale ?? customer.locale,
      [request.subject, ...customerWords].join('\n'),
    );
    const [{ reference }] = await manager.query<Array<{ reference: string }>>(
      `SELECT 'TCK-' || lpad(nextval('ticket_reference_seq')::text, 6, '0') AS reference`,
    );
    const lastCustomerMessage = [...request.messages].reverse().find((m) => m.author === 'customer');
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
        metadata: request.metadata ?? {},
        language,
        languageSource: source,
        customerId: customer.id,
        threadRef: request.threadRef ?? null,
        followUpOf: request.followUpOf ?? null,
        escalationReason: request.escalationReason ?? null,
        assigneeId: null,
        firstResponseAt: null,
        awaitingReplySince: lastCustomerMessage ? (lastCustomerMessage.createdAt ?? new Date()) : null,
        lastSequence: 0,
      }),
    );
    for (const message of request.messages) {
      await manager.insert(Message, {
        tenant,
        ticketId: ticket.id,
        author: message.author,
        agentId: null,
        body: message.body,
        internal: false,
        channel: request.channel,
        externalMessageId: message.externalMessageId ?? null,
        ...(message.createdAt ? { createdAt: message.createdAt } : {}),
      });
    }
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
        metadata: ticket.metadata,
        language: ticket.language,
        languageSource: source,
        externalId: ticket.externalId,
        followUpOf: ticket.followUpOf,
        threadRef: ticket.threadRef,
        escalationReason: ticket.escalationReason,
        customer: {
          id: customer.id,
          email: request.customer.email ?? customer.email,
          name: request.customer.name ?? null,
          locale: request.customer.locale ?? customer.locale,
        },
        createdAt: ticket.createdAt.toISOString(),
      },
      cause,
    );
    this.createdCounter.inc({ channel: ticket.channel, via: cause.kind === 'http' ? 'http' : 'kafka' });
    return { ticket, created: true };
  }
}

/** A `POST /v1/tickets` body or `ticket.requested` data as a new ticket with its first message. */
export function ticketFromRequest({ body, ...request }: TicketRequest): NewTicket {
  return { ...request, messages: [{ author: 'customer', body }] };
}
