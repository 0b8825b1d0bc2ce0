import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DelayedError, type Job } from 'bullmq';
import { type Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { JobWorker } from '@app/database';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { TicketContact } from '../contacts/ticket-contact.entity';
import { DeliveryLedger } from '../deliveries/delivery-ledger';
import { Notices } from '../notices/notices';
import { NOTIFICATIONS_CONFIG, NOTIFICATIONS_SOURCE } from '../notifications.tokens';
import { SurveyService } from '../surveys/survey-service';
import { TemplateStore } from '../templates/template-store';
import { FollowUp } from './follow-up.entity';
import { FollowUpScheduler } from './follow-up-scheduler';
import { FOLLOW_UP_QUEUE, type FollowUpJobData, FollowUpTimers } from './follow-up-timers';

export type FollowUpOutcome = 'done' | 'stale' | 'not_due';

/**
 * Runs follow-ups when they come due. Postgres decides, not the job: a follow-up cancelled, already
 * done, or scheduled under an earlier status of the ticket does nothing; one that wakes early is
 * put back to sleep. Auto-close and auto-solve are requests to intake, which owns tickets.
 */
@Injectable()
export class FollowUpProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FollowUpProcessor.name);
  private worker: JobWorker<FollowUpJobData> | undefined;
  private readonly outcomes: Counter;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly ledger: DeliveryLedger,
    private readonly templates: TemplateStore,
    private readonly notices: Notices,
    private readonly surveys: SurveyService,
    private readonly scheduler: FollowUpScheduler,
    private readonly timers: FollowUpTimers,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter('notification_follow_ups_total', 'Follow-ups by kind and outcome', [
      'kind',
      'outcome',
    ]);
  }

  onApplicationBootstrap(): void {
    this.worker = new JobWorker<FollowUpJobData>(
      FOLLOW_UP_QUEUE,
      this.config.redis,
      (job, token) => this.runJob(job, token),
      { concurrency: 4, logger: this.logger },
    );
    this.worker.worker.on('failed', (job, error) =>
      this.logger.warn({ msg: 'Follow-up failed; retrying', jobId: job?.id, error: error.message }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  private async runJob(job: Job<FollowUpJobData>, token?: string): Promise<FollowUpOutcome> {
    const { outcome, dueAt } = await this.attempt(job.data.followUpId);
    if (outcome === 'not_due' && dueAt && token) {
      // Woken early (clocks differ): the same job sleeps again instead of acting early.
      await job.moveToDelayed(dueAt.getTime(), token);
      throw new DelayedError();
    }
    return outcome;
  }

  /** Runs a follow-up now if it is due; the reconciler calls this for jobs Redis lost. */
  async run(followUpId: string): Promise<FollowUpOutcome> {
    const { outcome, dueAt } = await this.attempt(followUpId);
    if (outcome === 'not_due' && dueAt) await this.timers.arm(followUpId, dueAt);
    return outcome;
  }

  private async attempt(followUpId: string): Promise<{ outcome: FollowUpOutcome; dueAt?: Date }> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const followUp = await manager.findOne(FollowUp, {
        where: { id: followUpId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!followUp || followUp.state !== 'scheduled') return { outcome: 'stale' as const, followUp };
      if (followUp.dueAt.getTime() > Date.now()) return { outcome: 'not_due' as const, followUp };
      const contact = await manager.findOneBy(TicketContact, {
        tenant: followUp.tenant,
        ticketId: followUp.ticketId,
      });
      const current = followUp.kind === 'acknowledgment' || contact?.statusEpoch === followUp.epoch;
      if (contact && current) await this.act(manager, followUp, contact);
      await manager.update(
        FollowUp,
        { id: followUp.id },
        { state: current ? 'done' : 'cancelled', doneAt: new Date() },
      );
      return { outcome: current ? ('done' as const) : ('stale' as const), followUp };
    });
    if (outcome.followUp) this.outcomes.inc({ kind: outcome.followUp.kind, outcome: outcome.outcome });
    return { outcome: outcome.outcome, dueAt: outcome.followUp?.dueAt };
  }

  private async act(manager: EntityManager, followUp: FollowUp, contact: TicketContact): Promise<void> {
    const { tenant, ticketId, epoch } = followUp;
    switch (followUp.kind) {
      case 'acknowledgment':
        return this.notices.acknowledge(manager, contact);
      case 'survey':
        return this.sendSurvey(manager, contact, epoch);
      case 'pending_reminder':
        await this.toCustomer(manager, contact, 'ticket.pending_reminder', epoch, {});
        await this.scheduler.schedule(manager, {
          tenant,
          ticketId,
          kind: 'auto_solve',
          epoch,
          dueAt: new Date(Date.now() + this.config.followUps.pendingAutoSolveAfterMs),
        });
        return;
      case 'auto_close':
        return this.requestTransition(manager, followUp, 'solved', 'closed', 'auto_close');
      case 'auto_solve':
        return this.requestTransition(manager, followUp, 'pending', 'solved', 'auto_solve');
    }
  }

  private async sendSurvey(manager: EntityManager, contact: TicketContact, epoch: number): Promise<void> {
    if (!contact.customerEmail) {
      await this.ledger.recordSkipped(
        manager,
        this.notices.claimFor(contact, 'ticket.solved_survey', epoch, 'customer'),
        'the customer has no email address',
      );
      return;
    }
    const token = await this.surveys.open(manager, contact.tenant, contact.ticketId, epoch);
    await this.toCustomer(manager, contact, 'ticket.solved_survey', epoch, {
      surveyUrl: `${this.config.followUps.publicUrl}/v1/surveys/${token}`,
    });
  }

  private async toCustomer(
    manager: EntityManager,
    contact: TicketContact,
    kind: 'ticket.solved_survey' | 'ticket.pending_reminder',
    epoch: number,
    values: Record<string, string>,
  ): Promise<void> {
    const claim = this.notices.claimFor(contact, kind, epoch, 'customer');
    if (!contact.customerEmail) {
      await this.ledger.recordSkipped(manager, claim, 'the customer has no email address');
      return;
    }
    const message = await this.templates.render(
      manager,
      contact.tenant,
      kind,
      [contact.customerLocale, contact.language],
      {
        ...this.notices.ticketValues(contact),
        customerName: contact.customerName ?? contact.customerEmail,
        ...values,
      },
    );
    await this.ledger.claim(manager, claim, { channel: 'email', to: contact.customerEmail, message });
  }

  private async requestTransition(
    manager: EntityManager,
    followUp: FollowUp,
    from: 'solved' | 'pending',
    to: 'closed' | 'solved',
    reason: 'auto_close' | 'auto_solve',
  ): Promise<void> {
    await this.outbox.append(
      manager,
      buildEvent(
        'ticket.transition.requested',
        { ticketId: followUp.ticketId, from, to, reason },
        eventMeta(NOTIFICATIONS_SOURCE, followUp.ticketId, followUp.tenant, { kind: 'job' }),
      ),
    );
    this.logger.log({
      msg: 'Requested an automatic status change',
      ticketId: followUp.ticketId,
      from,
      to,
      reason,
    });
  }
}
