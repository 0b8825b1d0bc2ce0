import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { notFound } from '@app/http';
import { Ticket } from '../tickets/ticket.entity';

/** What an incoming message says about the conversation it belongs to. */
export interface ConversationHints {
  ticketId?: string;
  externalId?: string;
  threadRef?: string;
  /** Message-IDs from In-Reply-To and References, without brackets, nearest first. */
  replyTo?: string[];
  subject?: string;
}

export type MatchedBy = 'ticket_id' | 'external_id' | 'email_thread' | 'thread_ref' | 'subject_reference';

export interface ConversationMatch {
  ticketId: string;
  matchedBy: MatchedBy;
}

/** `[TCK-000042]`, `Re: TCK-000042 ...`: the reference our own mails carry in their subject. */
const SUBJECT_REFERENCE = /\bTCK-\d{6,}\b/;

/**
 * Finds the ticket a message continues, trying the most specific hint first. A Message-ID in the
 * thread headers or a reference quoted in a subject counts only for the customer who owns that
 * ticket, so a stranger cannot write into someone else's conversation by copying one.
 */
@Injectable()
export class ConversationMatcher {
  async find(
    manager: EntityManager,
    tenant: string,
    hints: ConversationHints,
    customerId: string,
  ): Promise<ConversationMatch | undefined> {
    if (hints.ticketId) {
      const ticket = await manager.findOneBy(Ticket, { tenant, id: hints.ticketId });
      if (!ticket) throw notFound('ticket_not_found', `No ticket ${hints.ticketId}`);
      return { ticketId: ticket.id, matchedBy: 'ticket_id' };
    }
    if (hints.externalId) {
      const ticket = await manager.findOneBy(Ticket, { tenant, externalId: hints.externalId });
      if (ticket) return { ticketId: ticket.id, matchedBy: 'external_id' };
    }
    if (hints.replyTo && hints.replyTo.length > 0) {
      // Like a subject reference, a quoted Message-ID counts only for the ticket's own customer:
      // anyone can copy a Message-ID into In-Reply-To.
      const rows: Array<{ ticket_id: string }> = await manager.query(
        `SELECT m.ticket_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
         WHERE m.tenant = $1 AND m.external_message_id = ANY($2::text[]) AND t.customer_id = $3
         ORDER BY m.created_at DESC LIMIT 1`,
        [tenant, hints.replyTo, customerId],
      );
      if (rows[0]) return { ticketId: rows[0].ticket_id, matchedBy: 'email_thread' };
    }
    if (hints.threadRef) {
      const ticket = await manager.findOne(Ticket, {
        where: { tenant, threadRef: hints.threadRef },
        order: { createdAt: 'DESC' },
      });
      if (ticket) return { ticketId: ticket.id, matchedBy: 'thread_ref' };
    }
    const reference = hints.subject?.match(SUBJECT_REFERENCE)?.[0];
    if (reference) {
      const ticket = await manager.findOneBy(Ticket, { tenant, reference, customerId });
      if (ticket) return { ticketId: ticket.id, matchedBy: 'subject_reference' };
    }
    return undefined;
  }
}
