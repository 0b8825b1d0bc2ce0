import { Inject, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, type EventEnvelope } from '@app/contracts';
import { type NotificationsConfig } from '../config/notifications.config';
import { type TicketContact } from '../contacts/ticket-contact.entity';
import { Notices } from '../notices/notices';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { STATUS_FOLLOW_UPS } from './follow-up.entity';
import { FollowUpScheduler } from './follow-up-scheduler';

/**
 * What a ticket's events mean for what happens later: the acknowledgment waits a moment for SLA's
 * first-response clock, so it can promise a time; a status change cancels what the previous status
 * scheduled, then schedules its own. In the consumer's transaction, like the change itself.
 */
@Injectable()
export class FollowUpPlanner {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly notices: Notices,
    private readonly scheduler: FollowUpScheduler,
  ) {}

  async apply(manager: EntityManager, event: AnyEvent, contact: TicketContact | null): Promise<void> {
    if (!contact) return;
    if (event.type === 'ticket.created') return this.ticketCreated(manager, contact);
    if (event.type === 'sla.started') return this.clockStarted(manager, event, contact);
    if (event.type === 'ticket.status.changed') return this.statusChanged(manager, event, contact);
  }

  /** Sent at once when SLA's clock is already here, else held for it. */
  private async ticketCreated(manager: EntityManager, contact: TicketContact): Promise<void> {
    if (contact.firstResponseDueAt) return this.notices.acknowledge(manager, contact);
    await this.scheduler.schedule(manager, {
      tenant: contact.tenant,
      ticketId: contact.ticketId,
      kind: 'acknowledgment',
      epoch: 0,
      dueAt: new Date(Date.now() + this.config.followUps.acknowledgmentWaitMs),
    });
  }

  private async clockStarted(
    manager: EntityManager,
    event: EventEnvelope<'sla.started'>,
    contact: TicketContact,
  ): Promise<void> {
    if (event.data.metric !== 'first_response' || !contact.reference) return;
    // The wait ticket.created started for this clock is over. The follow-up first, then the ledger,
    // in the order a drain firing the same wait takes them: neither waits for the other crosswise.
    await this.scheduler.finishEarly(manager, contact.tenant, contact.ticketId, 'acknowledgment');
    await this.notices.acknowledge(manager, contact);
  }

  /** Solved → the survey and the auto-close; pending → the reminder (and, after it, the auto-solve). */
  private async statusChanged(
    manager: EntityManager,
    event: EventEnvelope<'ticket.status.changed'>,
    contact: TicketContact,
  ): Promise<void> {
    const { to } = event.data;
    const { tenant, ticketId, statusEpoch: epoch } = contact;
    await this.scheduler.cancelBefore(manager, tenant, ticketId, epoch, STATUS_FOLLOW_UPS);
    const at = Date.parse(event.data.changedAt);
    const { surveyAfterMs, autoCloseAfterMs, pendingReminderAfterMs } = this.config.followUps;
    if (to === 'solved') {
      await this.scheduler.schedule(manager, {
        tenant,
        ticketId,
        kind: 'survey',
        epoch,
        dueAt: new Date(at + surveyAfterMs),
      });
      await this.scheduler.schedule(manager, {
        tenant,
        ticketId,
        kind: 'auto_close',
        epoch,
        dueAt: new Date(at + autoCloseAfterMs),
      });
    } else if (to === 'pending') {
      await this.scheduler.schedule(manager, {
        tenant,
        ticketId,
        kind: 'pending_reminder',
        epoch,
        dueAt: new Date(at + pendingReminderAfterMs),
      });
    }
  }
}
