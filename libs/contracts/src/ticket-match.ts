import { type Channel, type MetadataValue, type Priority, type TicketMetadata } from './values';

/**
 * Conditions on a ticket's attributes, the shared language of routing rules and SLA policies.
 * Every given condition must hold; an empty match matches every ticket.
 */
export interface TicketMatch {
  priority?: Priority;
  channel?: Channel;
  category?: string;
  /** Every listed tag must be on the ticket. */
  tags?: string[];
  /** Per metadata key, the values that match: `{ customerTier: ['gold', 'platinum'] }`. */
  metadata?: Record<string, MetadataValue[]>;
}

export interface MatchableTicket {
  priority: string;
  channel: string;
  category: string | null;
  tags: string[];
  metadata?: TicketMetadata | null;
}

export function ticketMatches(match: TicketMatch, ticket: MatchableTicket): boolean {
  if (match.priority && match.priority !== ticket.priority) return false;
  if (match.channel && match.channel !== ticket.channel) return false;
  if (match.category && match.category !== ticket.category) return false;
  if (match.tags && !match.tags.every((tag) => ticket.tags.includes(tag))) return false;
  for (const [key, accepted] of Object.entries(match.metadata ?? {})) {
    const value = ticket.metadata?.[key];
    if (value === undefined || !accepted.includes(value)) return false;
  }
  return true;
}
