import { Inject, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, type EventEnvelope } from '@app/contracts';
import { type NotificationsConfig } from '../config/notifications.config';
import { type ContactChange } from '../contacts/contact-book';
import { DirectoryAgent } from '../contacts/directory-agent.entity';
import { type TicketContact } from '../contacts/ticket-contact.entity';
import { type DeliveryClaim, DeliveryLedger } from '../deliveries/delivery-ledger';
import { type DeliveryRecipient } from '../deliveries/delivery.entity';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { overflowStopPhrase, renderTemplate, responseTimePhrase } from '../templates/render-template';
import { type TemplateKind } from '../templates/template-catalog';
import { TemplateStore } from '../templates/template-store';
import { claimEscalationWebhook, escalationWebhookReason } from '../webhooks/escalation-webhooks';

const NO_ASSIGNEE = 'the ticket has no assignee to notify';
const NO_ASSIGNEE_YET = 'the ticket has no assignee yet: its next assignee is told';

/** A due time as a ledger epoch: a new deadline is a new reason to tell someone. */
const epochOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * What the product itself sends: the acknowledgment, agent reply copies, assignment and reopen
 * notices, SLA warnings, breaches and escalation steps, and the messages of the follow-ups. Every
 * message is a ledger claim (R5), so redelivered events send nothing twice. When the acknowledgment
 * goes, and what a status change schedules for later, is the follow-ups' to decide.
 */
@Injectable()
export class Notices {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly ledger: DeliveryLedger,
    private readonly templates: TemplateStore,
  ) {}

  async apply(
    manager: EntityManager,
    event: AnyEvent,
    { before, after: contact }: ContactChange,
  ): Promise<void> {
    if (!contact) return;
    switch (event.type) {
      case 'ticket.message.added':
        return this.copyAgentReply(manager, event, contact);
      case 'ticket.assigned':
        await this.toAgent(
          manager,
          contact,
          `ticket.assigned.${event.data.agentId}`,
          0,
          'ticket.assigned',
          {},
        );
        return this.handOverAwaited(manager, contact);
      case 'ticket.reassigned':
        await this.toAgent(
          manager,
          contact,
          `ticket.assigned.${event.data.agentId}`,
          0,
          'ticket.assigned',
          {},
        );
        await this.handOverAwaited(manager, contact);
        return this.tellLeadOfReassignment(manager, event, contact, before);
      case 'ticket.overflow.stopped':
        return this.escalateStoppedOverflow(manager, event, contact);
      case 'ticket.status.changed':
        if (event.data.from === 'solved' && event.data.to === 'open')
          await this.toAgent(manager, contact, 'ticket.reopened', contact.statusEpoch, 'ticket.reopened', {});
        return;
      case 'sla.warning':
        return this.toAgent(
          manager,
          contact,
          `sla.warning.${event.data.metric}.${event.data.fraction}`,
          epochOf(event.data.dueAt),
          'sla.warning',
          {
            metric: event.data.metric.replace('_', ' '),
            dueAt: event.data.dueAt,
            percent: `${Math.round(event.data.fraction * 100)}%`,
          },
        );
      case 'sla.breached':
        return this.toAgent(
          manager,
          contact,
          `sla.breached.${event.data.metric}`,
          epochOf(event.data.dueAt),
          'sla.breached',
          {
            metric: event.data.metric.replace('_', ' '),
            dueAt: event.data.dueAt,
          },
          { awaitAssignee: true },
        );
      case 'sla.escalated':
        return this.escalate(manager, event, contact);
      // The acknowledgment goes when the follow-ups decide (FollowUpPlanner).
      case 'ticket.created':
      case 'sla.started':
        return;
      // Events the product sends nothing for.
      case 'ticket.requested':
      case 'ticket.message.received':
      case 'conversation.escalated':
      case 'ticket.transition.requested':
      case 'ticket.updated':
      case 'customer.merged':
      case 'ticket.queued':
      case 'ticket.unassigned':
      case 'sla.paused':
      case 'sla.resumed':
      case 'sla.met':
      case 'sla.recomputed':
      case 'notification.sent':
      case 'survey.answered':
      case 'agent.changed':
        return;
    }
  }

  /** The customer's receipt, promising the first-response time when an SLA clock sets one. */
  async acknowledge(manager: EntityManager, contact: TicketContact): Promise<void> {
    const claim = this.claimFor(contact, 'ticket.acknowledgment', 0, 'customer');
    if (!contact.customerEmail) {
      await this.ledger.recordSkipped(manager, claim, 'the customer has no email address');
      return;
    }
    const { template, locale } = await this.templates.resolve(
      manager,
      contact.tenant,
      'ticket.acknowledgment',
      [contact.customerLocale, contact.language],
    );
    const message = renderTemplate(template, locale, {
      ...this.ticketValues(contact),
      customerName: contact.customerName ?? contact.customerEmail,
      responseTime: responseTimePhrase(contact.firstResponseDueAt, locale, contact.customerTimeZone),
    });
    await this.ledger.claim(manager, claim, { channel: 'email', to: contact.customerEmail, message });
  }

  /** The customer of an email ticket receives each public agent reply by email. */
  private async copyAgentReply(
    manager: EntityManager,
    event: EventEnvelope<'ticket.message.added'>,
    contact: TicketContact,
  ): Promise<void> {
    const { data } = event;
    if (data.author !== 'agent' || data.internal || data.body === undefined || contact.channel !== 'email')
      return;
    const claim = this.claimFor(contact, `ticket.agent_reply.${data.messageId}`, 0, 'customer');
    if (!contact.customerEmail) {
      await this.ledger.recordSkipped(manager, claim, 'the customer has no email address');
      return;
    }
    const agentName = data.agentId && data.agentId === contact.assigneeId ? contact.assigneeName : null;
    const message = await this.templates.render(
      manager,
      contact.tenant,
      'ticket.agent_reply',
      [contact.customerLocale, contact.language],
      {
        ...this.ticketValues(contact),
        customerName: contact.customerName ?? contact.customerEmail,
        agentName: agentName ?? 'Support',
        message: data.body,
      },
    );
    await this.ledger.claim(manager, claim, { channel: 'email', to: contact.customerEmail, message });
  }

  /**
   * The assignee did not answer in time: the team lead hears who had it and who has it now. Once
   * per ticket, whatever the epoch: a ticket passed on again is the same slip, and a lead told
   * every round would get one email per overflow window.
   */
  private async tellLeadOfReassignment(
    manager: EntityManager,
    event: EventEnvelope<'ticket.reassigned'>,
    contact: TicketContact,
    before: TicketContact | null,
  ): Promise<void> {
    const { data } = event;
    const claim = this.claimFor(contact, 'ticket.reassigned', 0, 'team_lead');
    if (!data.teamLead) {
      await this.ledger.recordSkipped(manager, claim, 'the new assignee’s team has no lead');
      return;
    }
    const previousAgent =
      before?.assigneeId === data.fromAgentId ? (before.assigneeName ?? 'the assignee') : 'the assignee';
    const message = await this.templates.render(manager, contact.tenant, 'ticket.reassigned', ['en'], {
      ...this.ticketValues(contact),
      leadName: data.teamLead.name,
      previousAgent,
      agentName: data.agent.name,
    });
    await this.ledger.claim(manager, claim, { channel: 'email', to: data.teamLead.email, message });
  }

  /**
   * Overflow gave up on an unanswered ticket: the team lead hears that it stays with its assignee
   * and needs them. Once per ticket, whatever the epoch: however often routing announces a stop
   * (redelivery, a later series after a reopen), it is one ticket left unanswered. In the ticket's
   * language when shipped, as routing picks the team by it; agents' own locales are not known here.
   */
  private async escalateStoppedOverflow(
    manager: EntityManager,
    event: EventEnvelope<'ticket.overflow.stopped'>,
    contact: TicketContact,
  ): Promise<void> {
    const { data } = event;
    const claim = this.claimFor(contact, 'ticket.overflow.stopped', 0, 'team_lead');
    if (!data.teamLead) {
      await this.ledger.recordSkipped(manager, claim, 'the assignee’s team has no lead');
      return;
    }
    const { template, locale } = await this.templates.resolve(
      manager,
      contact.tenant,
      'ticket.overflow_stopped',
      [contact.language],
    );
    const agentName =
      contact.assigneeId === data.agentId ? (contact.assigneeName ?? 'the assignee') : 'the assignee';
    const message = renderTemplate(template, locale, {
      ...this.ticketValues(contact),
      leadName: data.teamLead.name,
      agentName,
      overflows: String(data.overflows),
      stopReason: overflowStopPhrase(data.reason, locale),
    });
    await this.ledger.claim(manager, claim, { channel: 'email', to: data.teamLead.email, message });
  }

  /** Each escalation step reaches whom the policy names: assignee, team lead, an agent, a webhook. */
  private async escalate(
    manager: EntityManager,
    event: EventEnvelope<'sla.escalated'>,
    contact: TicketContact,
  ): Promise<void> {
    const { data } = event;
    const epoch = epochOf(data.breachedAt);
    const reason = (target: string) => `sla.escalated.${data.metric}.${data.step}.${target}`;
    const values = {
      metric: data.metric.replace('_', ' '),
      breachedAt: data.breachedAt,
      step: String(data.step + 1),
    };
    for (const target of data.notify) {
      if (target.startsWith('webhook:')) {
        const url = target.slice('webhook:'.length);
        const claim = this.claimFor(contact, reason(escalationWebhookReason(url)), epoch, 'subscriber');
        await claimEscalationWebhook(manager, this.ledger, this.config.webhooks, claim, url, event);
        continue;
      }
      const person = await this.person(manager, contact, target);
      const claim = this.claimFor(contact, reason(target), epoch, person.recipient);
      if (!person.email) {
        await this.ledger.recordSkipped(manager, claim, person.why);
        continue;
      }
      const message = await this.templates.render(manager, contact.tenant, 'sla.escalated', ['en'], {
        ...this.ticketValues(contact),
        ...values,
        recipientName: person.name ?? person.email,
      });
      await this.ledger.claim(manager, claim, { channel: 'email', to: person.email, message });
    }
  }

  private async person(
    manager: EntityManager,
    contact: TicketContact,
    target: string,
  ): Promise<{ recipient: DeliveryRecipient; email: string | null; name: string | null; why: string }> {
    if (target === 'assignee')
      return {
        recipient: 'assignee',
        email: contact.assigneeEmail,
        name: contact.assigneeName,
        why: NO_ASSIGNEE,
      };
    if (target === 'team_lead')
      return {
        recipient: 'team_lead',
        email: contact.teamLeadEmail,
        name: contact.teamLeadName,
        why: 'the assignee’s team has no lead',
      };
    const agentId = target.startsWith('agent:') ? target.slice('agent:'.length) : '';
    const agent = /^[0-9a-f-]{36}$/i.test(agentId)
      ? await manager.findOneBy(DirectoryAgent, { tenant: contact.tenant, agentId })
      : null;
    return {
      recipient: 'agent',
      email: agent?.email ?? null,
      name: agent?.name ?? null,
      why: agent ? '' : `${target} is not an agent routing has announced`,
    };
  }

  /**
   * An email to the assignee, in English: agents' own locales are not known here. With
   * `awaitAssignee`, a ticket nobody has keeps the notice for its next assignee: a breach the
   * SLA service saw before routing's assignment reached us is still news to whoever takes it.
   */
  private async toAgent(
    manager: EntityManager,
    contact: TicketContact,
    reason: string,
    epoch: number,
    kind: TemplateKind,
    values: Record<string, string>,
    { awaitAssignee = false } = {},
  ): Promise<void> {
    const claim = this.claimFor(contact, reason, epoch, 'assignee');
    if (!contact.assigneeEmail) {
      if (awaitAssignee && !contact.assigneeId)
        await this.ledger.recordSkipped(manager, claim, NO_ASSIGNEE_YET, { kind, values });
      else await this.ledger.recordSkipped(manager, claim, NO_ASSIGNEE);
      return;
    }
    await this.ledger.claim(manager, claim, {
      channel: 'email',
      to: contact.assigneeEmail,
      message: await this.renderToAssignee(manager, contact, kind, values),
    });
  }

  /** The ticket has an assignee now: every notice that waited for one goes to them, once. */
  private async handOverAwaited(manager: EntityManager, contact: TicketContact): Promise<void> {
    if (!contact.assigneeEmail) return;
    for (const waiting of await this.ledger.awaitingAssignee(manager, contact.tenant, contact.ticketId)) {
      if (!waiting.awaitingAssignee) continue;
      const { kind, values } = waiting.awaitingAssignee;
      await this.ledger.claimAwaited(manager, waiting, {
        channel: 'email',
        to: contact.assigneeEmail,
        message: await this.renderToAssignee(manager, contact, kind, values),
      });
    }
  }

  private renderToAssignee(
    manager: EntityManager,
    contact: TicketContact,
    kind: TemplateKind,
    values: Record<string, string>,
  ) {
    return this.templates.render(manager, contact.tenant, kind, ['en'], {
      ...this.ticketValues(contact),
      agentName: contact.assigneeName ?? contact.assigneeEmail ?? '',
      ...values,
    });
  }

  ticketValues(contact: TicketContact): { reference: string; subject: string } {
    return { reference: contact.reference ?? contact.ticketId, subject: contact.subject ?? '' };
  }

  claimFor(
    contact: TicketContact,
    reason: string,
    epoch: number,
    recipient: DeliveryRecipient,
  ): DeliveryClaim {
    return { tenant: contact.tenant, ticketId: contact.ticketId, reason, epoch, recipient };
  }
}
