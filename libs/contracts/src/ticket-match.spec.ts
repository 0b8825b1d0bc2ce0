import { ticketMatches } from './ticket-match';

describe('ticket matching', () => {
  const ticket = {
    priority: 'urgent',
    channel: 'email',
    category: 'billing',
    tags: ['vip', 'eu'],
    metadata: { customerTier: 'gold', seats: 250, trial: false },
  };

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
    ['a metadata value', { metadata: { customerTier: ['silver', 'bronze'] } }],
    ['a metadata value of another type', { metadata: { seats: ['250'] } }],
    ['a metadata key it lacks', { metadata: { region: ['eu'] } }],
  ])('rejects a ticket that differs in %s', (_, match) => {
    expect(ticketMatches(match, ticket)).toBe(false);
  });

  it('does not match a category condition against a ticket without a category', () => {
    expect(ticketMatches({ category: 'billing' }, { ...ticket, category: null })).toBe(false);
  });

  it('matches metadata when each named key holds one of the listed values', () => {
    expect(ticketMatches({ metadata: { customerTier: ['gold', 'platinum'], trial: [false] } }, ticket)).toBe(
      true,
    );
    expect(ticketMatches({ metadata: { customerTier: ['gold'] } }, { ...ticket, metadata: null })).toBe(
      false,
    );
    expect(ticketMatches({ metadata: { customerTier: ['gold'] } }, { ...ticket, metadata: undefined })).toBe(
      false,
    );
  });
});
