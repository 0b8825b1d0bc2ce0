import { ruleMatches } from './rule-matcher';

const ticket = {
  channel: 'email',
  priority: 'high',
  category: 'billing',
  tags: ['vip', 'refund'],
  language: 'tr',
};

describe('routing rule matching', () => {
  it('matches when every condition holds, and an empty match matches everything', () => {
    expect(ruleMatches({ match: {} }, ticket)).toBe(true);
    expect(
      ruleMatches({ match: { channel: 'email', priority: 'high', tags: ['vip'], language: 'tr' } }, ticket),
    ).toBe(true);
  });

  it.each([
    [{ channel: 'chat' as const }],
    [{ priority: 'low' as const }],
    [{ category: 'sales' }],
    [{ tags: ['vip', 'legal'] }],
    [{ language: 'el' }],
  ])('does not match %j', (match) => {
    expect(ruleMatches({ match }, ticket)).toBe(false);
  });
});
