import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { FollowUp, type FollowUpKind } from './follow-up.entity';
import { FollowUpTimers } from './follow-up-timers';

/**
 * Writes follow-ups and their timers in the caller's transaction: a follow-up is scheduled with its
 * timer armed, and ended with it disarmed, or neither.
 */
@Injectable()
export class FollowUpScheduler {
  constructor(private readonly timers: FollowUpTimers) {}

  /** Once per (ticket, kind, epoch): scheduling again for the same epoch changes nothing. */
  async schedule(
    manager: EntityManager,
    followUp: Pick<FollowUp, 'tenant' | 'ticketId' | 'kind' | 'epoch' | 'dueAt'>,
  ): Promise<void> {
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(FollowUp)
      .values({ ...followUp, state: 'scheduled' })
      .orIgnore()
      .returning('id')
      .execute();
    const id = (inserted.raw as Array<{ id: string }>)[0]?.id;
    if (id) await this.timers.arm(manager, [{ data: { followUpId: id }, at: followUp.dueAt }]);
  }

  /**
   * What a follow-up of this kind was waiting to do has been done already (the receipt went out as
   * soon as SLA's clock arrived): it is done, and its timer is disarmed instead of firing.
   */
  async finishEarly(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    kind: FollowUpKind,
  ): Promise<void> {
    const finished = await manager
      .createQueryBuilder()
      .update(FollowUp)
      .set({ state: 'done', doneAt: new Date() })
      .where(`tenant = :tenant AND ticket_id = :ticketId AND kind = :kind AND state = 'scheduled'`, {
        tenant,
        ticketId,
        kind,
      })
      .returning('id')
      .execute();
    await this.disarm(manager, finished.raw as Array<{ id: string }>);
  }

  /** A status change makes every follow-up scheduled under an earlier status moot. */
  async cancelBefore(
    manager: EntityManager,
    tenant: string,
    ticketId: string,
    epoch: number,
    kinds?: FollowUpKind[],
  ): Promise<void> {
    const query = manager
      .createQueryBuilder()
      .update(FollowUp)
      .set({ state: 'cancelled', doneAt: new Date() })
      .where(`tenant = :tenant AND ticket_id = :ticketId AND state = 'scheduled' AND epoch < :epoch`, {
        tenant,
        ticketId,
        epoch,
      });
    if (kinds) query.andWhere('kind IN (:...kinds)', { kinds });
    const cancelled = await query.returning('id').execute();
    await this.disarm(manager, cancelled.raw as Array<{ id: string }>);
  }

  /** A timer a drain holds already is not waited for: it fires, and finds its follow-up ended. */
  private disarm(manager: EntityManager, ended: Array<{ id: string }>): Promise<void> {
    return this.timers.disarm(
      manager,
      ended.map((row) => ({ followUpId: row.id })),
    );
  }
}
