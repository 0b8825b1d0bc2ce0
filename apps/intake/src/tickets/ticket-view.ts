import { type Message } from './message.entity';
import { type Ticket } from './ticket.entity';

/** The public shape of a ticket in API responses. */
export function ticketView(ticket: Ticket) {
  return {
    id: ticket.id,
    reference: ticket.reference,
    status: ticket.status,
    channel: ticket.channel,
    priority: ticket.priority,
    subject: ticket.subject,
    category: ticket.category,
    tags: ticket.tags,
    metadata: ticket.metadata,
    language: ticket.language,
    languageSource: ticket.languageSource,
    customerId: ticket.customerId,
    assigneeId: ticket.assigneeId,
    externalId: ticket.externalId,
    threadRef: ticket.threadRef,
    followUpOf: ticket.followUpOf,
    escalationReason: ticket.escalationReason,
    firstResponseAt: ticket.firstResponseAt,
    lastResponseAt: ticket.lastResponseAt,
    awaitingReplySince: ticket.awaitingReplySince,
    solvedAt: ticket.solvedAt,
    closedAt: ticket.closedAt,
    createdAt: ticket.createdAt,
    updatedAt: ticket.updatedAt,
  };
}

export type TicketView = ReturnType<typeof ticketView>;

/** The public shape of a message. */
export function messageView(message: Message) {
  return {
    id: message.id,
    ticketId: message.ticketId,
    author: message.author,
    agentId: message.agentId,
    body: message.body,
    internal: message.internal,
    channel: message.channel,
    createdAt: message.createdAt,
  };
}
