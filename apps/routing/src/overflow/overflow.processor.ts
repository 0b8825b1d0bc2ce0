import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type DueTimer, type TimerOutcome } from '@app/timers';
import { Assignment } from '../assignment/assignment.entity';
import { AssignmentService, type OverflowOutcome } from '../assignment/assignment.service';
import { type OverflowJobData, OverflowTimers } from '../assignment/overflow-timers';

/**
 * Fires overflow timers, a batch of due ones at a time, in the drain's transaction. Postgres
 * decides, not the timer: an answered, released or reassigned assignment (another epoch) makes the
 * timer stale, and a deadline that moved later makes it wait for the assignment's own time.
 */
@Injectable()
export class OverflowProcessor implements OnApplicationBootstrap {
  constructor(
    private readonly timers: OverflowTimers,
    private readonly assignments: AssignmentService,
  ) {}

  /** After every module's init, so a Redis that failed the safety check never fires anything. */
  async onApplicationBootstrap(): Promise<void> {
    await this.timers.start((manager, due) => this.fire(manager, due));
  }

  async fire(manager: EntityManager, due: Array<DueTimer<OverflowJobData>>): Promise<TimerOutcome[]> {
    await this.assignments.lockForOverflow(
      manager,
      due.map((timer) => timer.data),
    );
    const outcomes: TimerOutcome[] = [];
    for (const { data } of due) {
      const outcome = await this.assignments.overflow(manager, data.tenant, data.ticketId, data.epoch);
      outcomes.push(await this.timerOutcome(manager, data, outcome));
    }
    return outcomes;
  }

  private async timerOutcome(
    manager: EntityManager,
    { tenant, ticketId }: OverflowJobData,
    outcome: OverflowOutcome,
  ): Promise<TimerOutcome> {
    switch (outcome) {
      case 'reassigned':
      case 'kept':
      case 'stopped':
        return 'fired';
      case 'stale':
        return 'stale';
      case 'not_due': {
        // Still locked by this transaction: the due time read is the one `overflow` judged.
        const assignment = await manager.findOneByOrFail(Assignment, { tenant, ticketId, state: 'active' });
        return { notBefore: assignment.overflowDueAt ?? new Date() };
      }
    }
  }
}
