import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { type EntityManager, In } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { afterCommit } from '@app/database';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { MetricsService } from '@app/observability';
import { type DueTimer, type TimerOutcome } from '@app/timers';
import { type NotificationsConfig } from '../config/notifications.config';
import { TicketContact } from '../contacts/ticket-contact.entity';
import { DeliveryLedger } from '../deliveries/delivery-ledger';
import { Notices } from '../notices/notices';
import { NOTIFICATIONS_CONFIG, NOTIFICATIONS_SOURCE } from '../notifications.tokens';
import { SurveyService } from '../surveys/survey-service';
import { TemplateStore } from '../templates/template-store';
import { decideFollowUp } from './follow-up-decision';
import { FollowUp, type FollowUpState } from './follow-up.entity';
import { FollowUpScheduler } from './follow-up-scheduler';
import { type FollowUpJobData, FollowUpTimers } from './follow-up-timers';

export type FollowUpOutcome = 'done' | 'stale' | 'not_due';

/**
 * Runs follow-ups when they come due, a batch of due timers at a time, in the drain's transaction.
 * Postgres decides, not the timer (`decideFollowUp`): the batch's follow-ups are read under row
 * locks, and one cancelled, already done, or scheduled under an earlier status of the ticket does
 * nothing; one whose time has not come waits for it. What a due one does is Postgres writes only:
 * ledger claims (the delivery worker sends them once this commits), a survey row, the request to
 * intake in the outbox (the relay publishes it once this commits), the next follow-up and its timer.
 * So it commits or rolls back with its timer: a follow-up runs exactly once.
 */
@Injectable()
export class FollowUpProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(FollowUpProcessor.name);
  private readonly outcomes: Counter;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
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

  /** After every module's init, so a Redis that failed the safety check never fires anything. */
  async onApplicationBootstrap(): Promise<void> {
    await this.timers.start((manager, due, now) => this.fire(manager, due, now));
  }

  async fire(
    manager: EntityManager,
    due: Array<DueTimer<FollowUpJobData>>,
    now: Date,
  ): Promise<TimerOutcome[]> {
    const followUps = await manager.find(FollowUp, {
      where: { id: In(due.map((timer) => timer.data.followUpId)) },
      // A status change that ends one of them waits for this firing, or this firing finds it ended.
      lock: { mode: 'pessimistic_write' },
      order: { id: 'ASC' },
    });
    const byId = new Map(followUps.map((followUp) => [followUp.id, followUp]));
    const contacts = await this.contactsOf(manager, followUps);
    const outcomes: TimerOutcome[] = [];
    const counted: Array<{ kind: string; outcome: FollowUpOutcome }> = [];
    const done: string[] = [];
    const cancelled: string[] = [];
    for (const { data } of due) {
      const followUp = byId.get(data.followUpId);
      const contact = followUp && contacts.get(contactKey(followUp));
      const decision = decideFollowUp(followUp, contact?.statusEpoch, now);
      if (!followUp || decision.step === 'stale') {
        outcomes.push('stale');
        continue;
      }
      if (decision.step === 'wait') {
        outcomes.push({ notBefore: decision.until });
        counted.push({ kind: followUp.kind, outcome: 'not_due' });
        continue;
      }
      if (decision.step === 'run' && contact) await this.act(manager, followUp, contact, now);
      (decision.step === 'run' ? done : cancelled).push(followUp.id);
      outcomes.push(decision.step === 'run' ? 'fired' : 'stale');
      counted.push({ kind: followUp.kind, outcome: decision.step === 'run' ? 'done' : 'stale' });
    }
    await this.end(manager, done, 'done');
    await this.end(manager, cancelled, 'cancelled');
    // Counted once committed: a batch that rolls back is fired again, one follow-up at a time.
    await afterCommit(manager, () => {
      for (const count of counted) this.outcomes.inc(count);
      return Promise.resolve();
    });
    return outcomes;
  }

  private async end(manager: EntityManager, ids: string[], state: FollowUpState): Promise<void> {
    if (ids.length > 0) await manager.update(FollowUp, { id: In(ids) }, { state, doneAt: new Date() });
  }

  /** The batch's contacts in one query, unlocked: a consumer's update never waits for a drain. */
  private async contactsOf(
    manager: EntityManager,
    followUps: FollowUp[],
  ): Promise<Map<string, TicketContact>> {
    if (followUps.length === 0) return new Map();
    const tickets = new Map(
      followUps.map((f) => [contactKey(f), { tenant: f.tenant, ticketId: f.ticketId }]),
    );
    const contacts = await manager.find(TicketContact, { where: [...tickets.values()] });
    return new Map(contacts.map((contact) => [contactKey(contact), contact]));
  }

  private async act(
    manager: EntityManager,
    followUp: FollowUp,
    contact: TicketContact,
    now: Date,
  ): Promise<void> {
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
          dueAt: new Date(now.getTime() + this.config.followUps.pendingAutoSolveAfterMs),
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
    await afterCommit(manager, () => {
      this.logger.log({
        msg: 'Requested an automatic status change',
        ticketId: followUp.ticketId,
        from,
        to,
        reason,
      });
      return Promise.resolve();
    });
  }
}

const contactKey = (row: { tenant: string; ticketId: string }) => `${row.tenant}/${row.ticketId}`;
