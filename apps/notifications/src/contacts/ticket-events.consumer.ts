import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext } from '@app/messaging';
import { DeliveryLedger } from '../deliveries/delivery-ledger';
import { pickLocale, renderTemplate } from '../templates/render-template';
import { TicketContact } from './ticket-contact.entity';

const ACKNOWLEDGMENT = 'ticket.acknowledgment';

/**
 * Keeps `ticket_contacts` current from intake's and routing's events and sends what they call for.
 * The two topics are not ordered with each other, so each event writes only its own columns.
 */
@Controller()
export class TicketEventsConsumer {
  private readonly logger = new Logger(TicketEventsConsumer.name);

  constructor(private readonly ledger: DeliveryLedger) {}

  @EventPattern('ticket.created')
  async onCreated(
    @Payload() event: EventEnvelope<'ticket.created'>,
    @Ctx() { manager }: EventContext,
  ): Promise<void> {
    const { data } = event;
    const contact = {
      reference: data.reference,
      subject: data.subject,
      language: data.language,
      customerEmail: data.customer.email,
      customerName: data.customer.name,
      customerLocale: data.customer.locale,
    };
    await manager.upsert(TicketContact, { tenant: event.tenant, ticketId: data.ticketId, ...contact }, [
      'tenant',
      'ticketId',
    ]);

    const claim = {
      tenant: event.tenant,
      ticketId: data.ticketId,
      reason: ACKNOWLEDGMENT,
      epoch: 0,
      recipient: 'customer' as const,
    };
    if (!data.customer.email) {
      await this.ledger.recordSkipped(manager, claim, 'the customer has no email address');
      return;
    }
    const locale = pickLocale(ACKNOWLEDGMENT, [data.customer.locale, data.language]);
    const message = renderTemplate(ACKNOWLEDGMENT, locale, {
      reference: data.reference,
      subject: data.subject,
      customerName: data.customer.name ?? data.customer.email,
    });
    await this.ledger.claimEmail(manager, claim, data.customer.email, message);
  }

  @EventPattern('ticket.assigned')
  async onAssigned(
    @Payload() event: EventEnvelope<'ticket.assigned'>,
    @Ctx() { manager }: EventContext,
  ): Promise<void> {
    const { data } = event;
    await manager.upsert(
      TicketContact,
      {
        tenant: event.tenant,
        ticketId: data.ticketId,
        assigneeId: data.agentId,
        assigneeName: data.agent.name,
        assigneeEmail: data.agent.email,
      },
      ['tenant', 'ticketId'],
    );
    this.logger.debug({ msg: 'Assignee recorded', ticketId: data.ticketId });
  }

  /** The assignee did not answer in time: the new one is recorded and the team lead is told. */
  @EventPattern('ticket.reassigned')
  async onReassigned(
    @Payload() event: EventEnvelope<'ticket.reassigned'>,
    @Ctx() { manager }: EventContext,
  ): Promise<void> {
    const { data } = event;
    const before = await manager.findOneBy(TicketContact, { tenant: event.tenant, ticketId: data.ticketId });
    await manager.upsert(
      TicketContact,
      {
        tenant: event.tenant,
        ticketId: data.ticketId,
        assigneeId: data.agentId,
        assigneeName: data.agent.name,
        assigneeEmail: data.agent.email,
      },
      ['tenant', 'ticketId'],
    );
    const claim = {
      tenant: event.tenant,
      ticketId: data.ticketId,
      reason: 'ticket.reassigned',
      epoch: data.epoch,
      recipient: 'team_lead' as const,
    };
    if (!data.teamLead) {
      await this.ledger.recordSkipped(manager, claim, 'the new assignee’s team has no lead');
      return;
    }
    const message = renderTemplate('ticket.reassigned', 'en', {
      leadName: data.teamLead.name,
      reference: before?.reference ?? data.ticketId,
      subject: before?.subject ?? '',
      previousAgent:
        before?.assigneeId === data.fromAgentId ? (before.assigneeName ?? 'the assignee') : 'the assignee',
      agentName: data.agent.name,
    });
    await this.ledger.claimEmail(manager, claim, data.teamLead.email, message);
  }

  @EventPattern('ticket.unassigned')
  async onUnassigned(
    @Payload() event: EventEnvelope<'ticket.unassigned'>,
    @Ctx() { manager }: EventContext,
  ): Promise<void> {
    // Only if still theirs: the next assignment may have arrived first.
    await manager.update(
      TicketContact,
      { tenant: event.tenant, ticketId: event.data.ticketId, assigneeId: event.data.agentId },
      { assigneeId: null, assigneeName: null, assigneeEmail: null },
    );
  }
}
