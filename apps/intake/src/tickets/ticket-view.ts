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
    language: ticket.language,
    customerId: ticket.customerId,
    assigneeId: ticket.assigneeId,
    externalId: ticket.externalId,
    firstResponseAt: ticket.firstResponseAt,
    createdAt: ticket.createdAt,
    updatedAt: ticket.updatedAt,
  };
}

export type TicketView = ReturnType<typeof ticketView>;
