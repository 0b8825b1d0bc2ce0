import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { PeriodicTask } from '@app/messaging';
import { ClockService } from '../clocks/clock.service';
import { SlaClock } from '../clocks/sla-clock.entity';
import { type SlaConfig } from '../config/sla.config';
import { SLA_CONFIG } from '../sla.tokens';
import { TimerProcessor } from './timer.processor';
import { SlaTimers } from './sla-timers';

/** Clocks read and checked against Redis at a time: one query and one pipelined burst. */
const PAGE_SIZE = 1_000;
/**
 * How far back a round looks for changed clocks beyond the previous round's start: a transaction
 * that stamped a row before that start may commit after it, and must still be seen.
 */
const CHANGE_MARGIN_MS = 10_000;
/** Sorts before every clock id: where keyset paging starts. */
const FIRST_ID = '00000000-0000-0000-0000-000000000000';

export interface ReconcileRound {
  kind: 'full' | 'incremental';
  checked: number;
  rearmed: number;
  fired: number;
}

/**
 * R3: Postgres holds every deadline; Redis may lose the timers. A clock's timers are checked and,
 * when missing, fired (overdue) or re-armed with their deterministic ids:
 * - every active clock at start-up, and whenever the sweep marker in Redis is gone, which is how
 *   a FLUSHALL or a restart without persistence shows itself;
 * - otherwise, each round, the clocks changed since the previous round (a process may have died
 *   between committing a clock and arming its timers) and the next page of a rolling sweep over
 *   all of them, so even a single lost job is found within a bounded number of rounds.
 * A million running clocks thus cost a full sweep only when Redis really lost its data.
 */
@Injectable()
export class TimerReconciler extends PeriodicTask {
  protected readonly intervalMs: number;
  private fullSweepDue = true;
  private previousRoundAt: Date | undefined;
  private rollingCursor = FIRST_ID;

  constructor(
    @Inject(SLA_CONFIG) config: SlaConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clocks: ClockService,
    private readonly timers: SlaTimers,
    private readonly processor: TimerProcessor,
  ) {
    super();
    this.intervalMs = config.timers.reconcileIntervalMs;
  }

  async runOnce(): Promise<ReconcileRound> {
    const roundAt = new Date();
    const markerLost = (await this.timers.jobs.readSweepMarker()) === null;
    const round =
      this.fullSweepDue || markerLost ? await this.sweepAll(markerLost) : await this.sweepRecent(roundAt);
    this.previousRoundAt = roundAt;
    if (round.rearmed + round.fired > 0)
      this.logger.warn({ msg: 'Reconciled SLA timers Redis had lost', ...round });
    return round;
  }

  private async sweepAll(markerLost: boolean): Promise<ReconcileRound> {
    const startedAt = Date.now();
    // Claimed before the sweep: a flush during it removes the marker again and forces another.
    await this.timers.jobs.claimSweepMarker(randomUUID());
    const round: ReconcileRound = { kind: 'full', checked: 0, rearmed: 0, fired: 0 };
    for (let after = FIRST_ID; ;) {
      const page = await this.activeClocks()
        .andWhere('c.id > :after', { after })
        .orderBy('c.id')
        .limit(PAGE_SIZE)
        .getMany();
      if (page.length === 0) break;
      add(round, await this.reconcile(page));
      after = page[page.length - 1].id;
    }
    this.fullSweepDue = (await this.timers.jobs.readSweepMarker()) === null;
    this.logger.log({
      msg: markerLost ? 'Swept every SLA clock: Redis had lost the sweep marker' : 'Swept every SLA clock',
      ...round,
      durationMs: Date.now() - startedAt,
    });
    return round;
  }

  private async sweepRecent(roundAt: Date): Promise<ReconcileRound> {
    const since = new Date((this.previousRoundAt ?? roundAt).getTime() - CHANGE_MARGIN_MS);
    const round: ReconcileRound = { kind: 'incremental', checked: 0, rearmed: 0, fired: 0 };
    for (let after = FIRST_ID; ;) {
      const changed = await this.activeClocks()
        .andWhere('c.updated_at >= :since', { since })
        .andWhere('c.id > :after', { after })
        .orderBy('c.id')
        .limit(PAGE_SIZE)
        .getMany();
      if (changed.length === 0) break;
      add(round, await this.reconcile(changed));
      after = changed[changed.length - 1].id;
    }
    const rolling = await this.activeClocks()
      .andWhere('c.id > :cursor', { cursor: this.rollingCursor })
      .orderBy('c.id')
      .limit(PAGE_SIZE)
      .getMany();
    add(round, await this.reconcile(rolling));
    this.rollingCursor = rolling.length < PAGE_SIZE ? FIRST_ID : rolling[rolling.length - 1].id;
    return round;
  }

  /** Clocks with timers ahead: running (breach, warnings) or breached and still escalating. */
  private activeClocks(): SelectQueryBuilder<SlaClock> {
    return this.dataSource
      .getRepository(SlaClock)
      .createQueryBuilder('c')
      .where(`(c.state = 'running' OR (c.state = 'breached' AND c.stopped_at IS NULL))`);
  }

  private async reconcile(clocks: SlaClock[]): Promise<ReconcileRound> {
    const timers = await this.clocks.timersForAll(this.dataSource.manager, clocks);
    const live = await this.timers.areArmed(timers.map((timer) => timer.job));
    const round: ReconcileRound = { kind: 'incremental', checked: clocks.length, rearmed: 0, fired: 0 };
    for (const [index, timer] of timers.entries()) {
      if (live[index]) continue;
      if (timer.at.getTime() <= Date.now()) {
        if ((await this.processor.fire(timer.job)) === 'fired') round.fired += 1;
      } else {
        await this.timers.arm(timer.job, timer.at);
        round.rearmed += 1;
      }
    }
    return round;
  }
}

function add(total: ReconcileRound, part: ReconcileRound): void {
  total.checked += part.checked;
  total.rearmed += part.rearmed;
  total.fired += part.fired;
}
