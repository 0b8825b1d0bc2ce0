import { decideFollowUp, type FollowUpDecision } from './follow-up-decision';
import { type FollowUpKind, type FollowUpState } from './follow-up.entity';

const DUE = new Date('2026-11-28T09:00:00.000Z');
const justBefore = new Date(DUE.getTime() - 1);
const later = new Date(DUE.getTime() + 60_000);

const followUp = (kind: FollowUpKind, state: FollowUpState = 'scheduled', epoch = 3) => ({
  kind,
  state,
  epoch,
  dueAt: DUE,
});

describe('what a due timer means for its follow-up', () => {
  const cases: Array<{
    name: string;
    row: ReturnType<typeof followUp> | undefined;
    statusEpoch: number | undefined;
    now: Date;
    expected: FollowUpDecision;
  }> = [
    {
      name: 'a follow-up that is gone',
      row: undefined,
      statusEpoch: 3,
      now: later,
      expected: { step: 'stale' },
    },
    {
      name: 'one done already (finished early)',
      row: followUp('acknowledgment', 'done', 0),
      statusEpoch: 3,
      now: later,
      expected: { step: 'stale' },
    },
    {
      name: 'one cancelled by a status change',
      row: followUp('survey', 'cancelled'),
      statusEpoch: 4,
      now: later,
      expected: { step: 'stale' },
    },
    {
      name: 'a cancelled one even before its due time',
      row: followUp('auto_close', 'cancelled'),
      statusEpoch: 4,
      now: justBefore,
      expected: { step: 'stale' },
    },
    {
      name: 'one woken a millisecond early',
      row: followUp('survey'),
      statusEpoch: 3,
      now: justBefore,
      expected: { step: 'wait', until: DUE },
    },
    {
      name: 'one due to the millisecond',
      row: followUp('survey'),
      statusEpoch: 3,
      now: DUE,
      expected: { step: 'run' },
    },
    {
      name: 'one scheduled under the current status',
      row: followUp('pending_reminder'),
      statusEpoch: 3,
      now: later,
      expected: { step: 'run' },
    },
    {
      name: 'one scheduled under an earlier status',
      row: followUp('auto_close'),
      statusEpoch: 4,
      now: later,
      expected: { step: 'cancel' },
    },
    {
      name: 'a status follow-up of a ticket unknown here',
      row: followUp('auto_solve'),
      statusEpoch: undefined,
      now: later,
      expected: { step: 'cancel' },
    },
    {
      name: 'the acknowledgment, whatever the status did since',
      row: followUp('acknowledgment', 'scheduled', 0),
      statusEpoch: 2,
      now: later,
      expected: { step: 'run' },
    },
    {
      name: 'the acknowledgment of a ticket unknown here',
      row: followUp('acknowledgment', 'scheduled', 0),
      statusEpoch: undefined,
      now: later,
      expected: { step: 'run' },
    },
  ];

  it.each(cases)('$name', ({ row, statusEpoch, now, expected }) => {
    expect(decideFollowUp(row, statusEpoch, now)).toEqual(expected);
  });
});
