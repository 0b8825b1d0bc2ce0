import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job, UnrecoverableError } from 'bullmq';
import { type Counter } from 'prom-client';
import { DataSource, In } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { JobWorker } from '@app/database';
import { describeFailure, isTransientFailure } from '@app/http';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { inSpan, MetricsService, SpanKind } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import {
  type ChannelAdapter,
  CHANNEL_ADAPTERS,
  type DeliveryChannel,
  PermanentDeliveryError,
} from '../channels/channel';
import { NOTIFICATIONS_CONFIG, NOTIFICATIONS_SOURCE } from '../notifications.tokens';
import { Delivery } from './delivery.entity';
import { DeliveryJobName, DeliveryQueueName, type SendJobData } from './delivery-jobs';
import { retryPolicyFor, type SettledRow, settleFailedSend } from './delivery-retries';
import { DeliveryTimers, type SettledAttempt } from './delivery-timers';
import { SendPermits } from './send-permits';

/** `retrying`: the send failed, and the row waits for its next attempt's timer. */
export type SendOutcome = 'sent' | 'already_done' | 'unconfirmed' | 'retrying';

/** Tries at recording a send that happened, about 20 s of backoff: a Postgres restart fits in it. */
const RECORD_SENT_ATTEMPTS = 12;

/** What claiming found: rows now `sending` and the adapter for them, or nothing left to send. */
type Started =
  { kind: 'send'; batch: Delivery[]; adapter: ChannelAdapter } | { kind: 'settled'; outcome: SendOutcome };

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
 * Each step that settles a row disarms its watchdog timer (DeliveryTimers) in the same transaction.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorker.name);
  private worker: JobWorker<SendJobData> | undefined;
  private readonly outcomes: Counter;
  /** One per SMTP connection: an email holds it from its `sending` commit until the server answered. */
  private readonly emailPermits: SendPermits;
  /** Webhooks and Slack wait for nothing but their own receiver. */
  private readonly unlimited = new SendPermits(Number.POSITIVE_INFINITY);
  private columns: string | undefined;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CHANNEL_ADAPTERS) private readonly adapters: ChannelAdapter[],
    private readonly outbox: OutboxWriter,
    private readonly timers: DeliveryTimers,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('notification_deliveries_total', 'Delivery attempts by outcome', [
      'outcome',
      'channel',
    ]);
    this.emailPermits = new SendPermits(config.mailPool.maxConnections);
  }

  /** After every module's init, so a Redis that failed the safety check never gets a worker. */
  onApplicationBootstrap(): void {
    this.worker = new JobWorker<SendJobData>(
      DeliveryQueueName.Outbound,
      this.config.redis,
      (job) => this.process(job),
      {
        concurrency: this.config.delivery.concurrency,
        logger: this.logger,
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    // Lets the messages in flight finish and be marked before the pool closes (R8).
    await this.worker?.close();
  }

  /**
   * A failed send is retried by its row's `attempts` in Postgres: settling the failure arms the next
   * attempt's timer, due when the backoff ends, which queues the row again; this job is done. Errors
   * before anything was claimed keep BullMQ's own bounded retries.
   */
  async process(job: Job<SendJobData>): Promise<SendOutcome> {
    if (job.name !== (DeliveryJobName.Send as string)) throw new Error(`Unknown delivery job ${job.name}`);
    const span = {
      kind: SpanKind.CONSUMER,
      parent: job.data.traceparent ?? null,
      attributes: { 'delivery.id': job.data.deliveryId, 'delivery.channel': job.data.channel ?? 'unknown' },
    };
    return inSpan(`deliver ${job.data.channel ?? 'delivery'}`, span, () => this.processTraced(job));
  }

  private async processTraced(job: Job<SendJobData>): Promise<SendOutcome> {
    try {
      return await this.send(job.data.deliveryId, job.data.channel);
    } catch (error) {
      // Refused by policy (an internal destination), it would be refused again: failed at once.
      const permanent = error instanceof PermanentDeliveryError;
      const own = await this.recordFailure(job.data.deliveryId, error as Error, job.data.channel, permanent);
      if (permanent || own?.state === 'failed') throw new UnrecoverableError((error as Error).message);
      if (own) return 'retrying';
      throw error;
    }
  }

  /**
   * `channel` is what the job says; jobs queued before it travelled with them look it up. An email
   * waits for an SMTP connection before its row turns `sending`, so only messages really on their
   * way can be left `sending` (and then `unconfirmed`) by a crash.
   */
  async send(deliveryId: string, channel?: DeliveryChannel): Promise<SendOutcome> {
    const known = channel ?? (await this.channelOf(deliveryId));
    // A channel nothing can send on fails before anything is claimed.
    this.adapterFor(known);
    const started = await this.permitsFor(known).run(async () => {
      const start = await this.startSending(deliveryId);
      if (start.kind === 'settled') return start;
      await start.adapter.send({ ...start.batch[0], ...combine(start.batch) });
      return start;
    });
    if (started.kind === 'settled') return started.outcome;
    const { batch } = started;
    const [lead] = batch;

    const sentAt = new Date();
    try {
      await this.recordSent(batch, sentAt);
    } catch (error) {
      // The message is out: sending it again would be worse than not knowing that it arrived. The
      // row stays `sending`, and its watchdog settles it as `unconfirmed` once the lease ends.
      this.logger.error({
        msg: 'Sent, but the send could not be recorded; its watchdog will mark it unconfirmed',
        deliveryId,
        channel: lead.channel,
        failure: describeFailure(error),
      });
      return 'unconfirmed';
    }
    this.outcomes.inc({ outcome: 'sent', channel: lead.channel }, batch.length);
    this.logger.log({
      msg: batch.length > 1 ? 'Notifications sent together' : 'Notification sent',
      deliveryId,
      ticketId: lead.ticketId,
      channel: lead.channel,
      reason: lead.reason,
      ...(batch.length > 1 ? { batched: batch.length } : {}),
    });
    return 'sent';
  }

  /**
   * Marks what was just sent as sent, with its `notification.sent` events. A lost lock conflict
   * (watchdog drains lock these rows and their timers too) or an outage is retried here, never by
   * sending again.
   */
  private async recordSent(batch: Delivery[], sentAt: Date): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.transaction(async (manager) => {
          const [marked] = await manager.query<[SettledAttempt[], number]>(
            `UPDATE deliveries SET state = 'sent', sent_at = $2, last_error = NULL
             WHERE id = ANY($1::uuid[]) AND state = 'sending' RETURNING id, attempts`,
            [batch.map((row) => row.id), sentAt],
          );
          await this.timers.disarmSettled(manager, marked);
          const markedIds = new Set(marked.map((row) => row.id));
          await this.outbox.append(
            manager,
            ...batch
              .filter((row) => markedIds.has(row.id))
              .map((row) =>
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
              ),
          );
        });
        return;
      } catch (error) {
        if (!isTransientFailure(error) || attempt >= RECORD_SENT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }

  private permitsFor(channel: DeliveryChannel): SendPermits {
    return channel === 'email' ? this.emailPermits : this.unlimited;
  }

  private async channelOf(deliveryId: string): Promise<DeliveryChannel> {
    const [row] = await this.dataSource.query<Array<{ channel: DeliveryChannel }>>(
      'SELECT channel FROM deliveries WHERE id = $1',
      [deliveryId],
    );
    // Jobs are queued after their claim commits: a missing row is a job from another database.
    if (!row) throw new DeliveryNotVisibleError(deliveryId);
    return row.channel;
  }

  /**
   * Commits `pending` → `sending` (R5) and says what to send. The common case, a delivery sent
   * alone, is one statement that claims the row and returns it. Anything else reads the row:
   * a delivery held for batching takes its batch, and one found already `sending` follows a
   * process that died mid-send.
   */
  private async startSending(deliveryId: string): Promise<Started> {
    const ledger = this.dataSource.getRepository(Delivery);
    const [claimed] = await this.dataSource.query<[Array<Delivery>, number]>(
      `UPDATE deliveries SET state = 'sending', send_started_at = $2, attempts = attempts + 1
       WHERE id = $1 AND state = 'pending' AND batch_key IS NULL
       RETURNING ${this.deliveryColumns()}`,
      [deliveryId, new Date()],
    );
    if (claimed.length > 0) return this.toSend(claimed);

    let current = await ledger.findOneBy({ id: deliveryId });
    if (!current) throw new DeliveryNotVisibleError(deliveryId);
    if (current.state === 'pending') {
      const batch = await this.startBatch(current);
      if (batch) return this.toSend(batch);
      current = await ledger.findOneByOrFail({ id: deliveryId });
    }
    // Carried by another delivery's email: that one's job decides what became of it.
    if (current.state !== 'sending' || current.sentWith) return { kind: 'settled', outcome: 'already_done' };
    if (!this.adapterFor(current.channel).repeatable)
      return { kind: 'settled', outcome: await this.markUnconfirmed(current) };
    const resent = await this.startResend(current);
    return resent ? this.toSend([resent]) : { kind: 'settled', outcome: 'already_done' };
  }

  /**
   * Counts the attempt of sending a `sending` row again, and moves its watchdog to that attempt in
   * the same transaction. Null when another run settled or took it meanwhile.
   */
  private startResend(delivery: Delivery): Promise<Delivery | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query<[SettledAttempt[], number]>(
        `UPDATE deliveries SET attempts = attempts + 1, send_started_at = $3
         WHERE id = $1 AND state = 'sending' AND attempts = $2 RETURNING id, attempts`,
        [delivery.id, delivery.attempts, new Date()],
      );
      if (rows.length === 0) return null;
      const [{ attempts }] = rows;
      await this.timers.disarmSettled(manager, [{ id: delivery.id, attempts: attempts - 1 }]);
      await this.timers.arm(manager, [
        {
          data: { deliveryId: delivery.id, attempt: attempts - 1 },
          at: new Date(Date.now() + this.config.delivery.leaseMs),
        },
      ]);
      return { ...delivery, attempts, sendStartedAt: new Date() };
    });
  }

  private toSend(batch: Delivery[]): Started {
    return { kind: 'send', batch, adapter: this.adapterFor(batch[0].channel) };
  }

  private adapterFor(channel: DeliveryChannel): ChannelAdapter {
    const adapter = this.adapters.find((candidate) => candidate.channel === channel);
    if (!adapter) throw new Error(`No adapter for channel ${channel}`);
    return adapter;
  }

  /** The entity's columns under its property names, for statements that return whole rows. */
  private deliveryColumns(): string {
    this.columns ??= this.dataSource
      .getMetadata(Delivery)
      .columns.map((column) => `${column.databaseName} AS "${column.propertyName}"`)
      .join(', ');
    return this.columns;
  }

  /**
   * Commits `pending` → `sending` for a delivery held for batching and for every other pending
   * delivery to the same address with the same batch key due within a window. Null when this
   * delivery was no longer pending.
   */
  private startBatch(delivery: Delivery): Promise<Delivery[] | null> {
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
    const why = 'interrupted while sending; not repeated, so the recipient cannot receive it twice';
    await this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query<[SettledAttempt[], number]>(
        `UPDATE deliveries SET state = 'unconfirmed', last_error = $2
         WHERE (id = $1 OR sent_with = $1) AND state = 'sending' RETURNING id, attempts`,
        [delivery.id, why],
      );
      await this.timers.disarmSettled(manager, rows);
    });
    this.outcomes.inc({ outcome: 'unconfirmed', channel: delivery.channel });
    this.logger.error({
      msg: 'Delivery interrupted mid-send; marked unconfirmed instead of sending again',
      deliveryId: delivery.id,
      ticketId: delivery.ticketId,
      channel: delivery.channel,
    });
    return 'unconfirmed';
  }

  /** Settles the failed email's rows by their counted attempts; returns what became of its own row. */
  private async recordFailure(
    deliveryId: string,
    error: Error,
    known?: DeliveryChannel,
    permanent = false,
  ): Promise<SettledRow | undefined> {
    const channel =
      known ?? (await this.dataSource.getRepository(Delivery).findOneBy({ id: deliveryId }))?.channel;
    // SMTP replies can quote the address: the ledger keeps the text, the log only the kind (S4).
    const { code, responseCode, status } = error as Error & {
      code?: string;
      responseCode?: number;
      status?: number;
    };
    const settled =
      error instanceof DeliveryNotVisibleError || !channel
        ? []
        : await settleFailedSend(
            this.dataSource,
            this.timers,
            deliveryId,
            error.message.slice(0, 1000),
            permanent
              ? { ...retryPolicyFor(this.config, channel), attempts: 0 }
              : retryPolicyFor(this.config, channel),
          );
    const own = settled.find((row) => row.id === deliveryId);
    const final = own?.state === 'failed';
    this.outcomes.inc({ outcome: final ? 'failed' : 'retried', channel: channel ?? 'unknown' });
    this.logger[final ? 'error' : 'warn']({
      msg: final ? 'Delivery failed for good' : 'Delivery failed; retrying',
      deliveryId,
      channel,
      error: error.name,
      code: responseCode ?? status ?? code,
      ...(settled.length > 1 ? { batched: settled.length } : {}),
    });
    // Each row still to be tried, carried ones too, is queued again by its next attempt's timer.
    return own;
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
