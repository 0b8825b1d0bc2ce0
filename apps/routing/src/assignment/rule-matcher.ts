import { type RoutingRule } from '../rules/routing-rule.entity';

export interface RoutableTicket {
  channel: string;
  priority: string;
  category: string | null;
  tags: string[];
  language: string | null;
}

export function ruleMatches(rule: Pick<RoutingRule, 'match'>, ticket: RoutableTicket): boolean {
  const { match } = rule;
  if (match.channel && match.channel !== ticket.channel) return false;
  if (match.priority && match.priority !== ticket.priority) return false;
  if (match.category && match.category !== ticket.category) return false;
  if (match.language && match.language !== ticket.language) return false;
  if (match.tags && !match.tags.every((tag) => ticket.tags.includes(tag))) return false;
  return true;
}
