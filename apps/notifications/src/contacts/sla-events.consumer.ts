import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { type EventEnvelope } from '@app/contracts';
import { type EventContext } from '@app/messaging';
import { DeliveryLedger } from '../deliveries/delivery-ledger';
import { renderTemplate } from '../templates/render-template';
import { TicketContact } from './ticket-contact.entity';

/** A breach is the assignee's to fix: they get an email naming the missed target. */
@Controller()
export class SlaEventsConsumer {
  constructor(private readonly ledger: DeliveryLedger) {}

  @EventPattern('sla.breached')
  async onBreached(
    @Payload() event: EventEnvelope<'sla.breached'>,
    @Ctx() { manager }: EventContext,
  ): Promise<void> {
    const { data } = event;
    const claim = {
      tenant: event.tenant,
      ticketId: data.ticketId,
      reason: `sla.breached.${data.metric}`,
      epoch: 0,
      recipient: 'assignee' as const,
    };
    const contact = await manager.findOneBy(TicketContact, { tenant: event.tenant, ticketId: data.ticketId });
    if (!contact?.assigneeEmail) {
      await this.ledger.recordSkipped(manager, claim, 'the ticket has no assignee to notify');
      return;
    }
    const message = renderTemplate('sla.breached', 'en', {
      agentName: contact.assigneeName ?? contact.assigneeEmail,
      reference: contact.reference ?? data.ticketId,
      subject: contact.subject ?? '',
      metric: data.metric.replace('_', ' '),
      dueAt: data.dueAt,
    });
    await this.ledger.claimEmail(manager, claim, contact.assigneeEmail, message);
  }
}
