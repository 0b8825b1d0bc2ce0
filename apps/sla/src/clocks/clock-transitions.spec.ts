import { buildEvent, type Priority, type TicketStatus } from '@app/contracts';
import { type Calendar } from '../calendars/calendar.entity';
import { type SlaPolicy } from '../policies/sla-policy.entity';
import { type SlaJobData } from './sla-timers';
import {
  type ClockContext,
  type ClockTransition,
  fireTimer,
  newWait,
  onAgentReply,
  onStatusChange,
  recompute,
  recomputedTarget,
  type SlaEventDraft,
  start,
  type TimerFiring,
} from './clock-transitions';
import { type SlaClock } from './sla-clock.entity';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const TICKET = '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c001';
const CLOCK = '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c002';
const POLICY = '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c003';
const OTHER_POLICY = '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c004';
const CALENDAR = '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c005';
const ASSIGNEE = '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c006';

const at = (iso: string) => new Date(iso);

function policy(overrides: Partial<SlaPolicy> = {}): SlaPolicy {
  return {
    id: POLICY,
    version: 1,
    tenant: 'acme',
    name: 'standard',
    position: 0,
    match: {},
    targets: {
      firstResponse: 'PT1H',
      resolution: 'PT8H',
      byPriority: { urgent: { firstResponse: 'PT10M' } },
    },
    calendarId: null,
    pauseOn: ['pending', 'on_hold'],
    warnAt: [0.5],
    escalation: [
      { after: 'PT0S', notify: ['assignee'] },
      { after: 'PT30M', notify: ['team_lead'] },
    ],
    current: true,
    active: true,
    createdAt: at('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

/** Mon–Fri 09:00–17:00 in Istanbul (UTC+3 all year). */
const officeHours: Calendar = {
  id: CALENDAR,
  tenant: 'acme',
  name: 'Istanbul office',
  timezone: 'Europe/Istanbul',
  weekly: {
    mon: [['09:00', '17:00']],
    tue: [['09:00', '17:00']],
    wed: [['09:00', '17:00']],
    thu: [['09:00', '17:00']],
    fri: [['09:00', '17:00']],
  },
  holidays: [],
  country: null,
  createdAt: at('2026-01-01T00:00:00Z'),
};

/** A first-response clock on a PT1H target, started 10:00Z and running since. */
function clock(overrides: Partial<SlaClock> = {}): SlaClock {
  return {
    id: CLOCK,
    tenant: 'acme',
    ticketId: TICKET,
    metric: 'first_response',
    policyId: POLICY,
    policyVersion: 1,
    target: 'PT1H',
    targetMs: HOUR,
    calendarId: null,
    startedAt: at('2026-03-02T10:00:00Z'),
    runningSince: at('2026-03-02T10:00:00Z'),
    pausedSince: null,
    dueAt: at('2026-03-02T11:00:00Z'),
    elapsedMs: 0,
    pausedSeconds: 0,
    warned: [],
    escalatedSteps: 0,
    stoppedAt: null,
    state: 'running',
    epoch: 3,
    assigneeId: ASSIGNEE,
    metAt: null,
    breachedAt: null,
    explanation: 'Started.',
    createdAt: at('2026-03-02T10:00:00Z'),
    ...overrides,
  };
}

const aroundTheClock: ClockContext = { policy: policy(), calendar: null };

/** The clock as the service leaves it after writing the transition. */
const after = (before: SlaClock, transition: ClockTransition): SlaClock => ({
  ...before,
  ...transition.changes,
});

/** Every event a transition drafts must pass its schema, as the outbox writer will demand. */
function expectPublishable(events: SlaEventDraft[]): void {
  for (const event of events)
    expect(() => buildEvent(event.type, event.data, { source: 'ticketflow/sla' })).not.toThrow();
}

function fired(firing: TimerFiring): Extract<TimerFiring, { outcome: 'fired' }> {
  if (firing.outcome !== 'fired') throw new Error(`expected the timer to fire, it was ${firing.outcome}`);
  expectPublishable(firing.transition.events);
  return firing;
}

const statusChange = (from: TicketStatus, to: TicketStatus, when: Date, priority: Priority = 'normal') => ({
  from,
  to,
  at: when,
  priority,
});

describe('SLA clock transitions', () => {
  beforeEach(() => {
    jest.useFakeTimers().setSystemTime(at('2026-03-02T10:00:00Z'));
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('start', () => {
    it.each([
      {
        name: 'around the clock without a calendar',
        context: aroundTheClock,
        startedAt: '2026-03-02T10:00:00Z',
        priority: 'normal' as const,
        due: '2026-03-02T11:00:00.000Z',
        warning: '2026-03-02T10:30:00.000Z',
        explains: 'No calendar, so the clock runs around the clock',
      },
      {
        name: 'on business hours, carried over the weekend',
        context: { policy: policy({ calendarId: CALENDAR }), calendar: officeHours },
        // Friday 16:30 in Istanbul: 30 minutes left that day, the other 30 on Monday from 09:00.
        startedAt: '2026-11-27T13:30:00Z',
        priority: 'normal' as const,
        due: '2026-11-30T06:30:00.000Z',
        warning: '2026-11-27T14:00:00.000Z',
        explains: 'counted Fri 27 Nov 16:30–17:00 (30 min), Mon 30 Nov 09:00–09:30 (30 min)',
      },
      {
        name: 'around the clock when the policy’s calendar no longer exists',
        context: { policy: policy({ calendarId: CALENDAR }), calendar: null },
        startedAt: '2026-11-27T13:30:00Z',
        priority: 'normal' as const,
        due: '2026-11-27T14:30:00.000Z',
        warning: '2026-11-27T14:00:00.000Z',
        explains: `Its calendar ${CALENDAR} no longer exists, so the clock runs around the clock.`,
      },
      {
        name: 'on the target of the ticket’s priority',
        context: aroundTheClock,
        startedAt: '2026-03-02T10:00:00Z',
        priority: 'urgent' as const,
        due: '2026-03-02T10:10:00.000Z',
        warning: '2026-03-02T10:05:00.000Z',
        explains: 'first response target PT10M',
      },
    ])('starts $name', ({ context, startedAt, priority, due, warning, explains }) => {
      const started = start(context, at(startedAt), {
        clockId: CLOCK,
        tenant: 'acme',
        ticketId: TICKET,
        metric: 'first_response',
        priority,
      });
      expect(started).not.toBeNull();
      const { clock: row, events, arm } = started!;
      expect(row).toMatchObject({ state: 'running', epoch: 0, elapsedMs: 0, runningSince: at(startedAt) });
      expect(row.dueAt.toISOString()).toBe(due);
      expect(row.calendarId).toBe(context.calendar?.id ?? null);
      expect(row.explanation).toContain(explains);
      expect(events).toEqual([
        {
          type: 'sla.started',
          data: expect.objectContaining({
            clockId: CLOCK,
            startedAt: at(startedAt).toISOString(),
            dueAt: due,
          }),
        },
      ]);
      expectPublishable(events);
      expect(arm.map((timer) => [timer.job, timer.at.toISOString()])).toEqual([
        [{ kind: 'breach', clockId: CLOCK, epoch: 0 }, due],
        [{ kind: 'warning', clockId: CLOCK, epoch: 0, fraction: 0.5 }, warning],
      ]);
    });

    it('starts no clock for a metric the policy has no target for', () => {
      const started = start(
        { policy: policy({ targets: { resolution: 'PT8H' } }), calendar: null },
        new Date(),
        {
          clockId: CLOCK,
          tenant: 'acme',
          ticketId: TICKET,
          metric: 'first_response',
          priority: 'normal',
        },
      );
      expect(started).toBeNull();
    });
  });

  describe('pause and resume', () => {
    it.each([
      {
        name: 'around the clock',
        context: aroundTheClock,
        running: clock(),
        pausedAt: '2026-03-02T10:30:00Z',
        resumedAt: '2026-03-02T11:30:00Z',
        counted: 30 * MINUTE,
        due: '2026-03-02T12:00:00.000Z',
      },
      {
        name: 'on business hours, over a weekend',
        context: { policy: policy({ calendarId: CALENDAR }), calendar: officeHours },
        // Started Friday 16:00 in Istanbul; pending at 16:30, back on Monday 10:00.
        running: clock({
          calendarId: CALENDAR,
          startedAt: at('2026-11-27T13:00:00Z'),
          runningSince: at('2026-11-27T13:00:00Z'),
          dueAt: at('2026-11-30T06:00:00Z'),
        }),
        pausedAt: '2026-11-27T13:30:00Z',
        resumedAt: '2026-11-30T07:00:00Z',
        counted: 30 * MINUTE,
        due: '2026-11-30T07:30:00.000Z',
      },
    ])(
      'banks the time run and moves the due time by the pause, $name',
      ({ context, running, pausedAt, resumedAt, counted, due }) => {
        const pausing = onStatusChange(
          running,
          context,
          statusChange('open', 'pending', at(pausedAt)),
          new Date(),
        );
        expect(pausing?.changes).toMatchObject({
          state: 'paused',
          elapsedMs: counted,
          runningSince: null,
          pausedSince: at(pausedAt),
          epoch: running.epoch + 1,
        });
        expect(pausing?.events).toEqual([
          {
            type: 'sla.paused',
            data: expect.objectContaining({
              status: 'pending',
              elapsedMs: counted,
              pausedAt: at(pausedAt).toISOString(),
            }),
          },
        ]);
        expectPublishable(pausing!.events);
        expect(pausing?.disarm).toEqual([
          { kind: 'breach', clockId: CLOCK, epoch: running.epoch },
          { kind: 'warning', clockId: CLOCK, epoch: running.epoch, fraction: 0.5 },
        ]);
        expect(pausing?.arm).toEqual([]);

        const paused = after(running, pausing!);
        const pausedMs = at(resumedAt).getTime() - at(pausedAt).getTime();
        const resuming = onStatusChange(
          paused,
          context,
          statusChange('pending', 'open', at(resumedAt)),
          new Date(),
        );
        expect(resuming?.changes).toMatchObject({
          state: 'running',
          runningSince: at(resumedAt),
          pausedSince: null,
          pausedSeconds: pausedMs / SECOND,
          epoch: running.epoch + 2,
        });
        expect(resuming?.changes.dueAt?.toISOString()).toBe(due);
        expect(resuming?.events).toEqual([
          { type: 'sla.resumed', data: expect.objectContaining({ pausedMs, dueAt: due }) },
        ]);
        expectPublishable(resuming!.events);
        expect(resuming?.arm[0]).toEqual({
          job: { kind: 'breach', clockId: CLOCK, epoch: running.epoch + 2 },
          at: at(due),
        });
        expect(after(paused, resuming!).explanation).toMatch(
          /Paused .* \(pending\) with 30 min of PT1H used\. Resumed /,
        );
      },
    );

    it.each([
      { state: 'running' as const, to: 'open' as const, changes: false },
      { state: 'paused' as const, to: 'on_hold' as const, changes: false },
      { state: 'running' as const, to: 'on_hold' as const, changes: true },
      { state: 'met' as const, to: 'pending' as const, changes: false },
    ])('a $state clock moving to $to changes: $changes', ({ state, to, changes }) => {
      const subject = clock({ state, runningSince: state === 'running' ? clock().runningSince : null });
      const transition = onStatusChange(
        subject,
        aroundTheClock,
        statusChange('new', to, new Date()),
        new Date(),
      );
      expect(transition !== null).toBe(changes);
    });
  });

  describe('met, before and after the due time', () => {
    const due = clock().dueAt.getTime();

    it.each([
      { name: 'well before the due time', offset: -20 * MINUTE, event: 'sla.met' },
      { name: 'exactly at the due time', offset: 0, event: 'sla.met' },
      { name: 'one millisecond after the due time', offset: 1, event: 'sla.breached' },
      { name: 'an hour after the due time', offset: HOUR, event: 'sla.breached' },
    ])('a ticket solved $name is $event', ({ offset, event }) => {
      const solvedAt = new Date(due + offset);
      // The solve is handled later than it happened; only when it happened counts.
      jest.setSystemTime(due + offset + 5 * SECOND);
      const now = new Date();
      const transition = onStatusChange(
        clock(),
        aroundTheClock,
        statusChange('open', 'solved', solvedAt),
        now,
      );
      expect(transition?.events.map((e) => e.type)).toEqual([event]);
      expectPublishable(transition!.events);
      expect(transition?.arm).toEqual([]);
      if (event === 'sla.met') {
        expect(transition?.changes).toMatchObject({ state: 'met', metAt: solvedAt, runningSince: null });
      } else {
        expect(transition?.changes).toMatchObject({
          state: 'breached',
          breachedAt: now,
          stoppedAt: solvedAt,
          runningSince: null,
        });
      }
    });

    it('meets a paused clock whatever its stale due time says', () => {
      const paused = clock({ state: 'paused', runningSince: null, pausedSince: at('2026-03-02T10:20:00Z') });
      const transition = onStatusChange(
        paused,
        aroundTheClock,
        statusChange('pending', 'closed', at('2026-03-02T15:00:00Z')),
        new Date(),
      );
      expect(transition?.changes.state).toBe('met');
    });

    it.each([
      {
        name: 'meets a running response clock',
        subject: clock({ dueAt: at('2026-03-02T11:30:00Z') }),
        state: 'met',
      },
      {
        name: 'records a late answer on a breached one and ends its escalation',
        subject: clock({
          state: 'breached',
          runningSince: null,
          breachedAt: at('2026-03-02T11:00:00Z'),
          escalatedSteps: 1,
        }),
        state: 'breached',
      },
      {
        name: 'leaves the resolution clock to the solve',
        subject: clock({ metric: 'resolution' }),
        state: null,
      },
      {
        name: 'leaves a met clock as it is',
        subject: clock({ state: 'met', metAt: at('2026-03-02T10:10:00Z') }),
        state: null,
      },
    ])('a public agent reply $name', ({ subject, state }) => {
      const repliedAt = at('2026-03-02T11:10:00Z');
      const transition = onAgentReply(subject, aroundTheClock, repliedAt, repliedAt);
      if (state === null) {
        expect(transition).toBeNull();
        return;
      }
      expect(after(subject, transition!)).toMatchObject({ state, metAt: repliedAt });
      if (state === 'breached') {
        expect(transition?.changes).toEqual({ metAt: repliedAt, stoppedAt: repliedAt });
        expect(transition?.events).toEqual([]);
        expect(transition?.disarm).toEqual([{ kind: 'escalation', clockId: CLOCK, step: 1 }]);
      }
    });
  });

  describe('a fact that comes after the due time of a clock whose breach timer has not fired', () => {
    // Due at 11:00; the breach timer waited out an outage, so the clock still runs when the fact
    // is applied at 11:20. What happened at 11:10 finds the clock breached since 11:00.
    const overdue = () => clock();
    const factAt = at('2026-03-02T11:10:00Z');
    const now = at('2026-03-02T11:20:00Z');
    const escalating = policy({ escalation: [{ after: 'PT30M', notify: ['team_lead'] }] });
    const context = { policy: escalating, calendar: null };
    const breachEvent = {
      type: 'sla.breached',
      data: expect.objectContaining({ dueAt: '2026-03-02T11:00:00.000Z', breachedAt: now.toISOString() }),
    };
    const runningTimersOf = (subject: SlaClock) => [
      { kind: 'breach', clockId: CLOCK, epoch: subject.epoch },
      { kind: 'warning', clockId: CLOCK, epoch: subject.epoch, fraction: 0.5 },
    ];

    it.each([
      {
        name: 'a public agent reply answers it late, breached, with no escalation to come',
        apply: (subject: SlaClock) => onAgentReply(subject, context, factAt, now),
        state: { state: 'breached', breachedAt: now, metAt: factAt, stoppedAt: factAt },
        arms: [],
      },
      {
        name: 'a status change to pending breaches it instead of pausing it, and escalates',
        apply: (subject: SlaClock) =>
          onStatusChange(subject, context, statusChange('open', 'pending', factAt), now),
        state: { state: 'breached', breachedAt: now, stoppedAt: null, pausedSince: null },
        arms: [{ job: { kind: 'escalation', clockId: CLOCK, step: 0 }, at: at('2026-03-02T11:50:00Z') }],
      },
      {
        name: 'a priority change breaches it under the terms it ran under, and escalates',
        apply: (subject: SlaClock) =>
          recompute(subject, context, context, { reason: 'ticket_changed', priority: 'urgent' }, now),
        state: { state: 'breached', breachedAt: now, target: 'PT1H', stoppedAt: null },
        arms: [{ job: { kind: 'escalation', clockId: CLOCK, step: 0 }, at: at('2026-03-02T11:50:00Z') }],
      },
    ])('$name', ({ apply, state, arms }) => {
      const subject = overdue();
      const transition = apply(subject);
      expect(transition).not.toBeNull();
      expect(transition!.events).toEqual([breachEvent]);
      expectPublishable(transition!.events);
      expect(after(subject, transition!)).toMatchObject(state);
      expect(transition!.disarm).toEqual(runningTimersOf(subject));
      expect(transition!.arm).toEqual(arms);
    });

    it('the same reply before the due time meets the clock', () => {
      const transition = onAgentReply(overdue(), context, at('2026-03-02T10:59:59Z'), now);
      expect(transition?.changes.state).toBe('met');
      expect(transition?.events.map((event) => event.type)).toEqual(['sla.met']);
    });

    it('leaves what the breach timer would have done to the breach, when it then fires', () => {
      const subject = overdue();
      const paused = after(
        subject,
        onStatusChange(subject, context, statusChange('open', 'pending', factAt), now)!,
      );
      expect(
        fireTimer(paused, context, { kind: 'breach', clockId: CLOCK, epoch: subject.epoch }, now),
      ).toEqual({
        outcome: 'stale',
      });
    });
  });

  describe('a solve racing the deadline', () => {
    const due = clock().dueAt.getTime();
    const breachTimerAt = due + 200;

    // Solve times from 900 ms before the due time to 750 ms after it, as in the integration race.
    const cases = Array.from({ length: 12 }, (_, i) => (i - 6) * 150).flatMap((offset) => [
      { offset, order: 'the solve arrives first' },
      { offset, order: 'the breach timer fires first' },
    ]);

    it.each(cases)('solved $offset ms from the due time, when $order', ({ offset, order }) => {
      const solvedAt = new Date(due + offset);
      let subject = clock();
      if (order === 'the breach timer fires first') {
        jest.setSystemTime(breachTimerAt);
        const breach = fired(
          fireTimer(
            subject,
            aroundTheClock,
            { kind: 'breach', clockId: CLOCK, epoch: subject.epoch },
            new Date(),
          ),
        );
        subject = after(subject, breach.transition);
      }
      jest.setSystemTime(Math.max(breachTimerAt, due + offset) + 100);
      const transition = onStatusChange(
        subject,
        aroundTheClock,
        statusChange('open', 'solved', solvedAt),
        new Date(),
      );
      expect(transition).not.toBeNull();
      expectPublishable(transition!.events);
      const final = after(subject, transition!);
      const expected = offset <= 0 ? 'met' : 'breached';
      expect(final.state).toBe(expected);
      expect(final.breachedAt === null).toBe(expected === 'met');
      if (order === 'the breach timer fires first' && expected === 'met') {
        expect(transition?.events).toEqual([
          {
            type: 'sla.met',
            data: expect.objectContaining({ revokesBreach: true, metAt: solvedAt.toISOString() }),
          },
        ]);
        expect(transition?.disarm).toContainEqual({ kind: 'escalation', clockId: CLOCK, step: 0 });
        expect(final.explanation).toContain(
          'the breach announced when the solve had not yet arrived is revoked',
        );
      }
      if (expected === 'breached') {
        // Escalation stops at the solve; a breach already announced is not announced again.
        expect(final.stoppedAt).toEqual(solvedAt);
        expect(transition?.events.map((e) => e.type)).toEqual(
          order === 'the solve arrives first' ? ['sla.breached'] : [],
        );
      }
    });
  });

  describe('timers', () => {
    const due = clock().dueAt;
    const breach: SlaJobData = { kind: 'breach', clockId: CLOCK, epoch: 3 };

    it.each([
      { name: 'a minute early', now: due.getTime() - MINUTE, outcome: 'early' },
      { name: 'one millisecond early', now: due.getTime() - 1, outcome: 'early' },
      { name: 'exactly on time', now: due.getTime(), outcome: 'fired' },
      { name: 'five seconds late', now: due.getTime() + 5 * SECOND, outcome: 'fired' },
    ])('never breaches before the due time: fired $name it is $outcome', ({ now, outcome }) => {
      jest.setSystemTime(now);
      const firing = fireTimer(clock(), aroundTheClock, breach, new Date());
      expect(firing.outcome).toBe(outcome);
      if (firing.outcome === 'early') {
        expect(firing.at).toEqual(due);
        return;
      }
      const { transition, at: dueAt } = fired(firing);
      expect(dueAt).toEqual(due);
      expect(transition.changes).toEqual({ state: 'breached', breachedAt: new Date(now) });
      expect(transition.events).toEqual([
        {
          type: 'sla.breached',
          data: {
            ticketId: TICKET,
            clockId: CLOCK,
            metric: 'first_response',
            policyId: POLICY,
            policyVersion: 1,
            dueAt: due.toISOString(),
            breachedAt: new Date(now).toISOString(),
          },
        },
      ]);
    });

    it('warns at its fraction of the target, never before', () => {
      const warning: SlaJobData = { kind: 'warning', clockId: CLOCK, epoch: 3, fraction: 0.5 };
      jest.setSystemTime(at('2026-03-02T10:29:59.999Z'));
      expect(fireTimer(clock(), aroundTheClock, warning, new Date())).toEqual({
        outcome: 'early',
        at: at('2026-03-02T10:30:00Z'),
      });
      jest.setSystemTime(at('2026-03-02T10:30:00.250Z'));
      const { transition } = fired(fireTimer(clock(), aroundTheClock, warning, new Date()));
      expect(transition.changes).toEqual({ warned: [0.5] });
      expect(transition.events).toEqual([
        {
          type: 'sla.warning',
          data: expect.objectContaining({ fraction: 0.5, warnedAt: '2026-03-02T10:30:00.250Z' }),
        },
      ]);
    });

    const breachedAt = at('2026-03-02T11:00:01Z');
    const breachedClock = (overrides: Partial<SlaClock> = {}) =>
      clock({ state: 'breached', runningSince: null, breachedAt, ...overrides });

    it.each([
      { name: 'a breach of an earlier epoch', subject: clock({ epoch: 4 }), job: breach },
      {
        name: 'a breach of a paused clock',
        subject: clock({ state: 'paused', runningSince: null }),
        job: breach,
      },
      { name: 'a breach of a met clock', subject: clock({ state: 'met', runningSince: null }), job: breach },
      { name: 'a second breach', subject: breachedClock(), job: breach },
      {
        name: 'a warning already given',
        subject: clock({ warned: [0.5] }),
        job: { kind: 'warning', clockId: CLOCK, epoch: 3, fraction: 0.5 },
      },
      {
        name: 'a warning of an earlier epoch',
        subject: clock({ epoch: 4 }),
        job: { kind: 'warning', clockId: CLOCK, epoch: 3, fraction: 0.5 },
      },
      {
        name: 'an escalation step already taken',
        subject: breachedClock({ escalatedSteps: 1 }),
        job: { kind: 'escalation', clockId: CLOCK, step: 0 },
      },
      {
        name: 'an escalation of a solved ticket',
        subject: breachedClock({ stoppedAt: at('2026-03-02T11:05:00Z') }),
        job: { kind: 'escalation', clockId: CLOCK, step: 0 },
      },
      {
        name: 'an escalation of a revoked breach',
        subject: clock({ state: 'met', runningSince: null, breachedAt: null }),
        job: { kind: 'escalation', clockId: CLOCK, step: 0 },
      },
      {
        name: 'an escalation step the policy no longer has',
        subject: breachedClock({ escalatedSteps: 2 }),
        job: { kind: 'escalation', clockId: CLOCK, step: 2 },
      },
    ] as Array<{ name: string; subject: SlaClock; job: SlaJobData }>)(
      'does nothing for $name',
      ({ subject, job }) => {
        jest.setSystemTime(at('2026-03-02T13:00:00Z'));
        expect(fireTimer(subject, aroundTheClock, job, new Date())).toEqual({ outcome: 'stale' });
      },
    );

    it('escalates step by step after the breach, each at its time after it, naming the assignee', () => {
      jest.setSystemTime(breachedAt);
      const breaching = fired(fireTimer(clock(), aroundTheClock, breach, new Date()));
      let subject = after(clock(), breaching.transition);
      expect(breaching.transition.arm).toEqual([
        { job: { kind: 'escalation', clockId: CLOCK, step: 0 }, at: breachedAt },
      ]);
      const steps: Array<{ step: number; notify: string[]; escalatedAt: string }> = [];
      let armed = breaching.transition.arm;
      while (armed.length > 0) {
        const [{ job, at: when }] = armed;
        jest.setSystemTime(when.getTime() - 1);
        expect(fireTimer(subject, aroundTheClock, job, new Date())).toEqual({ outcome: 'early', at: when });
        jest.setSystemTime(when.getTime() + 40);
        const firing = fired(fireTimer(subject, aroundTheClock, job, new Date()));
        expect(firing.at).toEqual(when);
        // The same step fired again (a redelivered job) is stale once taken.
        subject = after(subject, firing.transition);
        expect(fireTimer(subject, aroundTheClock, job, new Date())).toEqual({ outcome: 'stale' });
        for (const event of firing.transition.events) {
          if (event.type !== 'sla.escalated') throw new Error(`unexpected ${event.type}`);
          expect(event.data.assigneeId).toBe(ASSIGNEE);
          steps.push({
            step: event.data.step,
            notify: event.data.notify,
            escalatedAt: event.data.escalatedAt,
          });
        }
        armed = firing.transition.arm;
      }
      expect(steps).toEqual([
        { step: 0, notify: ['assignee'], escalatedAt: '2026-03-02T11:00:01.040Z' },
        { step: 1, notify: ['team_lead'], escalatedAt: '2026-03-02T11:30:01.040Z' },
      ]);
      expect(subject.escalatedSteps).toBe(2);
    });
  });

  describe('recompute', () => {
    it('moves a running clock to its new priority’s target, keeping the time already counted', () => {
      jest.setSystemTime(at('2026-03-02T10:04:00Z'));
      const now = new Date();
      const running = clock();
      const current = aroundTheClock;
      expect(recomputedTarget(running, current.policy, 'urgent')).toBe('PT10M');
      const transition = recompute(
        running,
        current,
        current,
        { reason: 'ticket_changed', priority: 'urgent' },
        now,
      );
      expect(transition?.changes).toMatchObject({
        target: 'PT10M',
        targetMs: 10 * MINUTE,
        elapsedMs: 4 * MINUTE,
        runningSince: now,
        epoch: 4,
        dueAt: at('2026-03-02T10:10:00Z'),
      });
      expect(transition?.events).toEqual([
        {
          type: 'sla.recomputed',
          data: {
            ticketId: TICKET,
            clockId: CLOCK,
            metric: 'first_response',
            reason: 'ticket_changed',
            previous: {
              policyId: POLICY,
              policyVersion: 1,
              target: 'PT1H',
              dueAt: '2026-03-02T11:00:00.000Z',
            },
            current: {
              policyId: POLICY,
              policyVersion: 1,
              target: 'PT10M',
              dueAt: '2026-03-02T10:10:00.000Z',
            },
            elapsedMs: 4 * MINUTE,
            recomputedAt: '2026-03-02T10:04:00.000Z',
          },
        },
      ]);
      expectPublishable(transition!.events);
      expect(transition?.disarm).toEqual([
        { kind: 'breach', clockId: CLOCK, epoch: 3 },
        { kind: 'warning', clockId: CLOCK, epoch: 3, fraction: 0.5 },
      ]);
      expect(transition?.arm.map((timer) => [timer.job.kind, timer.at.toISOString()])).toEqual([
        ['breach', '2026-03-02T10:10:00.000Z'],
        // Half of the new target is five minutes, four of which were already used.
        ['warning', '2026-03-02T10:05:00.000Z'],
      ]);
      expect(after(running, transition!).explanation).toContain(
        'Recomputed 2026-03-02T10:04:00.000Z (ticket changed): policy "standard" v1, target PT10M, 4 min already counted, so it is due 2026-03-02T10:10:00.000Z.',
      );
    });

    it('moves a clock to another policy and its calendar, counting what ran on the old one', () => {
      // Friday 15:00 in Istanbul; ran around the clock since 10:00 Istanbul time, on a PT6H target.
      const now = at('2026-11-27T12:00:00Z');
      const running = clock({
        startedAt: at('2026-11-27T07:00:00Z'),
        runningSince: at('2026-11-27T07:00:00Z'),
        dueAt: at('2026-11-27T13:00:00Z'),
        target: 'PT6H',
        targetMs: 6 * HOUR,
      });
      const next: ClockContext = {
        policy: policy({
          id: OTHER_POLICY,
          name: 'gold',
          calendarId: CALENDAR,
          targets: { firstResponse: 'PT8H' },
        }),
        calendar: officeHours,
      };
      const transition = recompute(
        running,
        aroundTheClock,
        next,
        { reason: 'policy_applied', priority: 'normal' },
        now,
      );
      // Five hours counted around the clock; three more on office hours: 15:00–17:00 Friday, 09:00–10:00 Monday.
      expect(transition?.changes).toMatchObject({
        policyId: OTHER_POLICY,
        calendarId: CALENDAR,
        elapsedMs: 5 * HOUR,
        dueAt: at('2026-11-30T07:00:00Z'),
      });
    });

    it('moves a paused clock without a due time, counting nothing more', () => {
      const paused = clock({
        state: 'paused',
        runningSince: null,
        pausedSince: at('2026-03-02T10:20:00Z'),
        elapsedMs: 20 * MINUTE,
      });
      const next: ClockContext = {
        policy: policy({ id: OTHER_POLICY, name: 'gold', version: 2, targets: { firstResponse: 'PT2H' } }),
        calendar: null,
      };
      jest.setSystemTime(at('2026-03-02T12:00:00Z'));
      const transition = recompute(
        paused,
        aroundTheClock,
        next,
        { reason: 'ticket_changed', priority: 'normal' },
        new Date(),
      );
      expect(transition?.changes).toMatchObject({
        elapsedMs: 20 * MINUTE,
        runningSince: null,
        target: 'PT2H',
      });
      expect(transition?.events[0]).toMatchObject({
        data: {
          previous: { dueAt: null },
          current: { dueAt: null, policyId: OTHER_POLICY, policyVersion: 2 },
        },
      });
      expect(transition?.arm).toEqual([]);
      expect(after(paused, transition!).explanation).toMatch(/20 min already counted, paused\.$/);
    });

    it.each([
      { name: 'a clock whose terms stay the same', subject: clock(), priority: 'normal' as const },
      {
        name: 'a met clock',
        subject: clock({ state: 'met', runningSince: null }),
        priority: 'urgent' as const,
      },
      {
        name: 'a breached clock',
        subject: clock({ state: 'breached', runningSince: null }),
        priority: 'urgent' as const,
      },
      {
        name: 'a metric the new terms have no target for',
        subject: clock({ metric: 'next_response' }),
        priority: 'urgent' as const,
      },
    ])('leaves $name as it is', ({ subject, priority }) => {
      expect(recomputedTarget(subject, aroundTheClock.policy, priority)).toBeNull();
      expect(
        recompute(
          subject,
          aroundTheClock,
          aroundTheClock,
          { reason: 'ticket_changed', priority },
          new Date(),
        ),
      ).toBeNull();
    });
  });

  describe('reopen', () => {
    it('restarts a solved resolution clock from zero on the policy’s target', () => {
      const met = clock({
        metric: 'resolution',
        target: 'PT8H',
        targetMs: 8 * HOUR,
        state: 'met',
        runningSince: null,
        metAt: at('2026-03-02T12:00:00Z'),
        elapsedMs: 2 * HOUR,
        warned: [0.5],
      });
      const reopenedAt = at('2026-03-03T09:00:00Z');
      const transition = onStatusChange(
        met,
        aroundTheClock,
        statusChange('solved', 'open', reopenedAt),
        new Date(),
      );
      expect(transition?.changes).toMatchObject({
        state: 'running',
        startedAt: reopenedAt,
        elapsedMs: 0,
        warned: [],
        metAt: null,
        epoch: 4,
        dueAt: at('2026-03-03T17:00:00Z'),
      });
      expect(transition?.events.map((e) => e.type)).toEqual(['sla.started']);
      expectPublishable(transition!.events);
    });

    it('restarts on the target of the priority the ticket has now, and arms the breach at the new due time', () => {
      const tiered = {
        policy: policy({ targets: { resolution: 'PT8H', byPriority: { urgent: { resolution: 'PT2H' } } } }),
        calendar: null,
      };
      const met = clock({
        metric: 'resolution',
        target: 'PT8H',
        targetMs: 8 * HOUR,
        state: 'met',
        runningSince: null,
        metAt: at('2026-03-02T12:00:00Z'),
      });
      const reopenedAt = at('2026-03-03T09:00:00Z');
      const transition = onStatusChange(
        met,
        tiered,
        statusChange('solved', 'open', reopenedAt, 'urgent'),
        new Date(),
      );
      const dueAt = at('2026-03-03T11:00:00Z');
      expect(transition?.changes).toMatchObject({ target: 'PT2H', targetMs: 2 * HOUR, dueAt });
      const breach = transition?.arm.find((timer) => timer.job.kind === 'breach');
      expect(breach?.at).toEqual(dueAt);
    });
  });

  describe('a customer writing again', () => {
    const answered = clock({ state: 'met', runningSince: null, metAt: at('2026-03-02T10:20:00Z') });
    const next = (overrides: Partial<SlaClock>) =>
      clock({ id: '0b9a3a52-55a4-4c38-9f0e-0a54d4f1c007', metric: 'next_response', ...overrides });

    it('begins a wait once the first response was given and nothing else waits', () => {
      expect(newWait([answered])).toEqual({ policyOf: answered, next: undefined });
      const replied = next({ state: 'met', runningSince: null, metAt: at('2026-03-02T10:40:00Z') });
      expect(newWait([answered, replied])?.next).toBe(replied);
    });

    it('is still the same wait while the next-response clock runs, or has breached unanswered', () => {
      expect(newWait([answered, next({ state: 'running' })])).toBeNull();
      const breached = next({ state: 'breached', breachedAt: at('2026-03-02T11:00:00Z') });
      expect(newWait([answered, breached])).toBeNull();
      // Solving stops a breached clock's escalations, but the customer was never answered.
      expect(newWait([answered, { ...breached, stoppedAt: at('2026-03-02T11:30:00Z') }])).toBeNull();
      expect(newWait([answered, { ...breached, metAt: at('2026-03-02T11:10:00Z') }])?.next).toBeDefined();
    });

    it('begins no next-response wait while the first response is still owed, breached or not', () => {
      expect(newWait([clock({})])).toBeNull();
      expect(newWait([clock({ state: 'breached', breachedAt: at('2026-03-02T11:00:00Z') })])).toBeNull();
    });
  });
});
