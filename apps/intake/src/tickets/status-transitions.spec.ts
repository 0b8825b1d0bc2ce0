import { canTransition } from './status-transitions';

describe('ticket status transitions', () => {
  it.each([
    ['new', 'open'],
    ['open', 'pending'],
    ['pending', 'open'],
    ['on_hold', 'solved'],
    ['solved', 'open'],
    ['solved', 'closed'],
  ] as const)('allows %s → %s', (from, to) => expect(canTransition(from, to)).toBe(true));

  it.each([
    ['closed', 'open'],
    ['new', 'closed'],
    ['open', 'new'],
    ['solved', 'pending'],
  ] as const)('refuses %s → %s', (from, to) => expect(canTransition(from, to)).toBe(false));
});
