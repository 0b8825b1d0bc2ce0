import { ticketMatches } from './ticket-match';

describe('ticket matching', () => {
  const ticket = { priority: 'urgent', channel: 'email', category: 'billing', tags: ['vip', 'eu'] };

  it('matches every ticket with no conditions, and a ticket meeting all of them', () => {
    expect(ticketMatches({}, ticket)).toBe(true);
    expect(
      ticketMatches({ priority: 'urgent', channel: 'email', category: 'billing', tags: ['eu'] }, ticket),
    ).toBe(true);
  });

  it.each([
    ['priority', { priority: 'low' as const }],
    ['channel', { channel: 'chat' as const }],
    ['category', { category: 'shipping' }],
    ['a missing tag', { tags: ['vip', 'us'] }],
  ])('rejects a ticket that differs in %s', (_, match) => {
    expect(ticketMatches(match, ticket)).toBe(false);
  });

  it('does not match a category condition against a ticket without a category', () => {
    expect(ticketMatches({ category: 'billing' }, { ...ticket, category: null })).toBe(false);
  });
});
