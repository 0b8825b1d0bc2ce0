import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { afterCommit, afterCommitTogether } from '@app/database';
import { activeTraceparent } from '@app/observability';
import { type DeliveryChannel } from '../channels/channel';
import { type RenderedMessage } from '../templates/render-template';
import { type AwaitedNotice, Delivery, type DeliveryRecipient, type DeliveryState } from './delivery.entity';
import { DeliveryTiming } from '../recipients/delivery-timing.service';
import { DeliveryQueue, type QueuedDelivery } from './delivery-queue';
import { DeliveryTimers } from './delivery-timers';

/** What makes a delivery unique (R5): the ticket, why it is sent, and the epoch of that reason. */
export interface DeliveryClaim {
  tenant: string;
  ticketId: string;
  reason: string;
  epoch: number;
  recipient: DeliveryRecipient;
}

export interface Outgoing {
  channel: DeliveryChannel;
  /** An email address, or a webhook or Slack URL. */
  to: string;
  message: RenderedMessage;
  webhookId?: string;
}

/**
 * Claims ledger rows (R5). A claim that already exists is a no-op, so a redelivered event or a
 * second consumer never queues a second message for the same reason.
 */
@Injectable()
export class DeliveryLedger {
  private readonly logger = new Logger(DeliveryLedger.name);

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly timing: DeliveryTiming,
    private readonly timers: DeliveryTimers,
  ) {}

  /**
   * Claims a delivery with its watchdog timer armed, in the caller's transaction; undefined when it
   * was claimed before.
   */
  async claim(manager: EntityManager, claim: DeliveryClaim, outgoing: Outgoing): Promise<string | undefined> {
    const { holdUntil, batchKey } = await this.timing.holdFor(manager, claim, outgoing);
    const id = await this.insert(manager, { ...claim, ...pendingRow(outgoing, holdUntil, batchKey) });
    if (id) await this.handOver(manager, id, outgoing.channel, holdUntil);
    return id;
  }

  /**
   * Claims a notice that waited for the ticket's assignee, in the row that recorded the wait: the
   * reason still has one row and sends one message. False when another transaction claimed it.
   */
  async claimAwaited(manager: EntityManager, waiting: Delivery, outgoing: Outgoing): Promise<boolean> {
    const { holdUntil, batchKey } = await this.timing.holdFor(manager, waiting, outgoing);
    const result = await manager
      .createQueryBuilder()
      .update(Delivery)
      .set({ ...pendingRow(outgoing, holdUntil, batchKey), lastError: null, awaitingAssignee: null })
      .where('id = :id AND awaiting_assignee IS NOT NULL', { id: waiting.id })
      .execute();
    if (!result.affected) return false;
    await this.handOver(manager, waiting.id, outgoing.channel, holdUntil);
    return true;
  }

  /** The notices of a ticket waiting for its assignee, locked until the caller's transaction ends. */
  async awaitingAssignee(manager: EntityManager, tenant: string, ticketId: string): Promise<Delivery[]> {
    return manager
      .createQueryBuilder(Delivery, 'delivery')
      .where('delivery.tenant = :tenant AND delivery.ticket_id = :ticketId', { tenant, ticketId })
      .andWhere('delivery.awaiting_assignee IS NOT NULL')
      .orderBy('delivery.created_at')
      .setLock('pessimistic_write')
      .getMany();
  }

  /**
   * One due now is queued once the transaction commits, so the worker always finds the row and
   * nothing waits for the timer; one held for later waits in Postgres only, and its timer queues it
   * when the hold ends. A rolled-back claim queues nothing.
   */
  private async handOver(
    manager: EntityManager,
    deliveryId: string,
    channel: DeliveryChannel,
    holdUntil: Date | null,
  ): Promise<void> {
    const now = new Date();
    const held = holdUntil !== null && holdUntil > now;
    if (!held)
      await afterCommitTogether(manager, this.enqueueClaimed, {
        deliveryId,
        channel,
        holdUntil: null,
        traceparent: activeTraceparent(),
      });
    await this.timers.arm(manager, [{ data: { deliveryId, attempt: 0 }, at: held ? holdUntil : now }]);
  }

  /**
   * Everything one transaction claims is queued together once it commits: an event that claims
   * several deliveries, or a whole batch of consumed events, costs one Redis round trip.
   */
  private readonly enqueueClaimed = (claims: QueuedDelivery[]) => this.queue.enqueueClaimed(claims);

  /**
   * An operator's resend of a delivery that failed for good or could not be confirmed sent. The row
   * goes back to `pending` for a new round of attempts (`attempts_before_resend`) on the usual path:
   * its watchdog timer is armed and it is queued once this commits, and the worker claims it as
   * any other. Its id, so the email's Message-ID and the webhook's Idempotency-Key, stay the same.
   * Held for nothing (`hold_until` now): the operator means now. A row another email carried is
   * sent on its own. The row records who resent it and when; the caller adds the audit entry in
   * the same transaction.
   */
  async resend(
    manager: EntityManager,
    tenant: string,
    deliveryId: string,
    actor: string,
  ): Promise<
    | { outcome: 'resent'; delivery: Delivery; previousState: DeliveryState }
    | { outcome: 'not_found' }
    | { outcome: 'not_resendable'; state: DeliveryState }
  > {
    const current = await manager.findOne(Delivery, {
      where: { id: deliveryId, tenant },
      lock: { mode: 'pessimistic_write' },
    });
    if (!current) return { outcome: 'not_found' };
    if (!RESENDABLE.includes(current.state)) return { outcome: 'not_resendable', state: current.state };
    const now = new Date();
    await manager.update(
      Delivery,
      { id: deliveryId },
      {
        state: 'pending',
        attemptsBeforeResend: current.attempts,
        holdUntil: now,
        sentWith: null,
        resendCount: current.resendCount + 1,
        resentAt: now,
        resentBy: actor,
      },
    );
    await this.timers.arm(manager, [{ data: { deliveryId, attempt: current.attempts }, at: now }]);
    // Not enqueueClaimed: the row had a send job, which a failed email leaves in Redis for a week.
    const traceparent = activeTraceparent();
    await afterCommit(manager, () =>
      this.queue.enqueue({ deliveryId, channel: current.channel, holdUntil: null, traceparent }),
    );
    return {
      outcome: 'resent',
      delivery: await manager.findOneByOrFail(Delivery, { id: deliveryId }),
      previousState: current.state,
    };
  }

  /**
   * Records that a reason came due but nobody could be written to, so the ledger shows why; with
   * `awaited`, the notice the ticket's next assignee is to receive.
   */
  async recordSkipped(
    manager: EntityManager,
    claim: DeliveryClaim,
    why: string,
    awaited: AwaitedNotice | null = null,
  ): Promise<void> {
    const id = await this.insert(manager, {
      ...claim,
      channel: 'email',
      toAddress: null,
      locale: 'en',
      subject: '',
      body: '',
      state: 'skipped',
      lastError: why,
      awaitingAssignee: awaited,
    });
    if (!id) return;
    // A notice kept for the next assignee is routine: SLA and assignment events race each other.
    if (awaited)
      this.logger.log({
        msg: 'Notice waits for an assignee',
        ticketId: claim.ticketId,
        reason: claim.reason,
      });
    else
      this.logger.warn({ msg: 'Notification skipped', ticketId: claim.ticketId, reason: claim.reason, why });
  }

  private async insert(
    manager: EntityManager,
    row: Partial<Delivery> & DeliveryClaim,
  ): Promise<string | undefined> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(Delivery)
      .values(row)
      .orIgnore()
      .returning('id')
      .execute();
    return (result.raw as Array<{ id: string }>)[0]?.id;
  }
}

/** What an operator may resend: a delivery that ended without a confirmed send. */
export const RESENDABLE: readonly DeliveryState[] = ['failed', 'unconfirmed'];

function pendingRow(outgoing: Outgoing, holdUntil: Date | null, batchKey: string | null): Partial<Delivery> {
  return {
    holdUntil,
    batchKey,
    channel: outgoing.channel,
    webhookId: outgoing.webhookId ?? null,
    toAddress: outgoing.to,
    locale: outgoing.message.locale,
    subject: outgoing.message.subject,
    body: outgoing.message.body,
    state: 'pending',
  };
}
