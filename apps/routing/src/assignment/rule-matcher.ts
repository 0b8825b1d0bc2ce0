import { type MatchableTicket, ticketMatches } from '@app/contracts';
import { type RoutingRule } from '../rules/routing-rule.entity';

export interface RoutableTicket extends MatchableTicket {
  language: string | null;
}

/** A routing rule matches a ticket's attributes and, when it names one, the ticket's language. */
export function ruleMatches(rule: Pick<RoutingRule, 'match'>, ticket: RoutableTicket): boolean {
  const { language, ...attributes } = rule.match;
  return ticketMatches(attributes, ticket) && (!language || language === ticket.language);
}
