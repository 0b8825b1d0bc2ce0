import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job } from 'bullmq';
import { type Counter } from 'prom-client';
import { DataSource, In } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { JobWorker } from '@app/database';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { type ChannelAdapter, CHANNEL_ADAPTERS } from '../channels/channel';
import { NOTIFICATIONS_CONFIG, NOTIFICATIONS_SOURCE } from '../notifications.tokens';
import { Delivery } from './delivery.entity';
import { DeliveryJobName, DeliveryQueueName, type SendJobData } from './delivery-jobs';

export type SendOutcome = 'sent' | 'already_done' | 'unconfirmed';

/** A job without its ledger row (left from another database): retried, then given up. */
class DeliveryNotVisibleError extends Error {
  constructor(deliveryId: string) {
    super(`Delivery ${deliveryId} is not in the ledger`);
    this.name = 'DeliveryNotVisibleError';
  }
}

/**
 * Sends what the ledger says is pending through the row's channel (R5):
 * 1. `pending` → `sending` is committed before anything leaves, counting the attempt;
 * 2. the channel adapter sends;
 * 3. `sending` → `sent` and `notification.sent` commit together.
 * A run that finds its row already `sending` follows a process that died somewhere in step 2:
 * the message may have been delivered. Channels whose receivers deduplicate on the delivery id
 * (signed webhooks) send again; email and Slack cannot be asked, so the row becomes
 * `unconfirmed` — visible in the ledger and a metric — instead of risking a second copy.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorker.name);
  private worker: JobWorker<SendJobData> | undefined;
  private readonly outcomes: Counter;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CHANNEL_ADAPTERS) private readonly adapters: ChannelAdapter[],
    private readonly outbox: OutboxWriter,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('notification_deliveries_total', 'Delivery attempts by outcome', [
      'outcome',
      'channel',
    ]);
  }

  /** After every module's init, so a Redis that failed the safety check never gets a worker. */
  onApplicationBootstrap(): void {
    this.worker = new JobWorker<SendJobData>(
      DeliveryQueueName.Outbound,
      this.config.redis,
      (job) => this.process(job),
      {
        concurrency: 4,
        logger: this.logger,
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    // Lets the message in flight finish and be marked before the pool closes (R8).
    await this.worker?.close();
  }

  async process(job: Job<SendJobData>): Promise<SendOutcome> {
    if (job.name !== (DeliveryJobName.Send as string)) throw new Error(`Unknown delivery job ${job.name}`);
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      return await this.send(job.data.deliveryId);
    } catch (error) {
      await this.recordFailure(job.data.deliveryId, error as Error, final);
      throw error;
    }
  }

  async send(deliveryId: string): Promise<SendOutcome> {
    // Jobs are queued after their claim commits: a missing row is a job from another database.
    const delivery = await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId });
    if (!delivery) throw new DeliveryNotVisibleError(deliveryId);
    const adapter = this.adapters.find((candidate) => candidate.channel === delivery.channel);
    if (!adapter) throw new Error(`No adapter for channel ${delivery.channel}`);

    let batch = await this.startSending(delivery);
    if (!batch) {
      const current = await this.dataSource.getRepository(Delivery).findOneByOrFail({ id: deliveryId });
      // Carried by another delivery's email: that one's job decides what became of it.
      if (current.state !== 'sending' || current.sentWith) return 'already_done';
      if (!adapter.repeatable) return this.markUnconfirmed(current);
      await this.dataSource
        .getRepository(Delivery)
        .update({ id: deliveryId }, { attempts: () => 'attempts + 1' });
      batch = [current];
    }

    await adapter.send({ ...delivery, ...combine(batch) });

    const sentAt = new Date();
    await this.dataSource.transaction(async (manager) => {
      for (const row of batch) {
        const marked = await manager.update(
          Delivery,
          { id: row.id, state: 'sending' },
          { state: 'sent', sentAt, lastError: null },
        );
        if (!marked.affected) continue;
        await this.outbox.append(
          manager,
          buildEvent(
            'notification.sent',
            {
              ticketId: row.ticketId,
              deliveryId: row.id,
              channel: row.channel,
              reason: row.reason,
              recipient: row.recipient,
              sentAt: sentAt.toISOString(),
            },
            eventMeta(NOTIFICATIONS_SOURCE, row.ticketId, row.tenant, { kind: 'job' }),
          ),
        );
      }
    });
    this.outcomes.inc({ outcome: 'sent', channel: delivery.channel }, batch.length);
    this.logger.log({
      msg: batch.length > 1 ? 'Notifications sent together' : 'Notification sent',
      deliveryId,
      ticketId: delivery.ticketId,
      channel: delivery.channel,
      reason: delivery.reason,
      ...(batch.length > 1 ? { batched: batch.length } : {}),
    });
    return 'sent';
  }

  /**
   * Commits `pending` → `sending` for this delivery and, when it is held for batching, for every
   * other pending delivery to the same address with the same batch key due within a window.
   * Null when this delivery was not pending.
   */
  private startSending(delivery: Delivery): Promise<Delivery[] | null> {
    return this.dataSource.transaction(async (manager) => {
      if (delivery.batchKey) {
        // One batch at a time per address and key, taken before any row lock: two jobs firing
        // together would otherwise each skip the row the other holds and send alone.
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `delivery-batch:${delivery.tenant}:${delivery.toAddress}:${delivery.batchKey}`,
        ]);
      }
      const lead = await manager.findOne(Delivery, {
        where: { id: delivery.id, state: 'pending' },
        lock: { mode: 'pessimistic_write' },
      });
      if (!lead) return null;
      const companions = lead.batchKey
        ? await manager
            .createQueryBuilder(Delivery, 'd')
            .setLock('pessimistic_write')
            .where(`d.state = 'pending' AND d.id <> :id`, { id: lead.id })
            .andWhere('d.tenant = :tenant AND d.to_address = :to AND d.batch_key = :key', {
              tenant: lead.tenant,
              to: lead.toAddress,
              key: lead.batchKey,
            })
            // Whatever joined within a window of this one; not what quiet hours hold back for later.
            .andWhere('(d.hold_until IS NULL OR d.hold_until <= :until)', {
              until: new Date(Date.now() + Math.max(1_000, this.config.batching.coalesceWindowMs)),
            })
            .orderBy('d.created_at')
            .getMany()
        : [];
      const start = { state: 'sending' as const, sendStartedAt: new Date(), attempts: () => 'attempts + 1' };
      await manager.update(Delivery, { id: lead.id }, start);
      if (companions.length > 0) {
        await manager.update(
          Delivery,
          { id: In(companions.map((row) => row.id)) },
          { ...start, sentWith: lead.id },
        );
      }
      return [lead, ...companions];
    });
  }

  /** The delivery and whatever its email was carrying: nobody can say whether it arrived. */
  private async markUnconfirmed(delivery: Delivery): Promise<SendOutcome> {
    const unconfirmed = {
      state: 'unconfirmed' as const,
      lastError: 'interrupted while sending; not repeated, so the recipient cannot receive it twice',
    };
    const ledger = this.dataSource.getRepository(Delivery);
    await ledger.update({ id: delivery.id, state: 'sending' }, unconfirmed);
    await ledger.update({ sentWith: delivery.id, state: 'sending' }, unconfirmed);
    this.outcomes.inc({ outcome: 'unconfirmed', channel: delivery.channel });
    this.logger.error({
      msg: 'Delivery interrupted mid-send; marked unconfirmed instead of sending again',
      deliveryId: delivery.id,
      ticketId: delivery.ticketId,
      channel: delivery.channel,
    });
    return 'unconfirmed';
  }

  private async recordFailure(deliveryId: string, error: Error, final: boolean): Promise<void> {
    const channel = (await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId }))?.channel;
    this.outcomes.inc({ outcome: final ? 'failed' : 'retried', channel: channel ?? 'unknown' });
    // SMTP replies can quote the address: the ledger keeps the text, the log only the kind (S4).
    const { code, responseCode, status } = error as Error & {
      code?: string;
      responseCode?: number;
      status?: number;
    };
    this.logger[final ? 'error' : 'warn']({
      msg: final ? 'Delivery failed for good' : 'Delivery failed; retrying',
      deliveryId,
      channel,
      error: error.name,
      code: responseCode ?? status ?? code,
    });
    if (error instanceof DeliveryNotVisibleError) return;
    // The adapter threw, so nothing was delivered: the row goes back to pending for the next attempt.
    const ledger = this.dataSource.getRepository(Delivery);
    const lastError = error.message.slice(0, 1000);
    await ledger.update(
      { id: deliveryId, state: 'sending' },
      { lastError, state: final ? 'failed' : 'pending' },
    );
    // What this email was carrying waits for the next attempt, or goes out with someone else's.
    await ledger.update(
      { sentWith: deliveryId, state: 'sending' },
      { state: 'pending', sentWith: null, lastError },
    );
  }
}

/** One email for a batch: a burst about one ticket, or a lead's digest across tickets. */
function combine(rows: Delivery[]): { subject: string; body: string } {
  const [lead] = rows;
  if (rows.length === 1) return { subject: lead.subject, body: lead.body };
  const subject =
    lead.batchKey === 'digest'
      ? `Digest: ${rows.length} notifications`
      : `${lead.subject} (+${rows.length - 1} more)`;
  const body = rows.map((row) => `== ${row.subject} ==\n\n${row.body.trim()}`).join('\n\n');
  return { subject, body };
}
