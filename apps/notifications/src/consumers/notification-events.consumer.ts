import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { type AnyEvent, eventTypesOn, Topic } from '@app/contracts';
import { type EventContext, HandlesEvent } from '@app/messaging';
import { ContactBook } from '../contacts/contact-book';
import { FollowUpPlanner } from '../follow-ups/follow-up-planner';
import { Notices } from '../notices/notices';
import { WebhookFanOut } from '../webhooks/webhook-fan-out';

/** Every ticket, assignment and SLA event: each may change a contact, call for a message, or be forwarded. */
const CONSUMED = [
  ...eventTypesOn(Topic.AgentEvents),
  ...eventTypesOn(Topic.TicketEvents),
  ...eventTypesOn(Topic.AssignmentEvents),
  ...eventTypesOn(Topic.SlaEvents),
];

/**
 * One entry for every event, in one transaction with the transport's inbox claim: first the
 * contact projection, then the product's own messages and what they schedule for later, then the
 * admins' subscriptions.
 */
@Controller()
export class NotificationEventsConsumer {
  constructor(
    private readonly contacts: ContactBook,
    private readonly notices: Notices,
    private readonly followUps: FollowUpPlanner,
    private readonly webhooks: WebhookFanOut,
  ) {}

  @HandlesEvent(CONSUMED)
  async onEvent(@Payload() event: AnyEvent, @Ctx() { manager }: EventContext): Promise<void> {
    if (event.type === 'agent.changed') return this.contacts.applyAgent(manager, event);
    const change = await this.contacts.apply(manager, event);
    await this.notices.apply(manager, event, change);
    await this.followUps.apply(manager, event, change.after);
    await this.webhooks.apply(manager, event, change.after);
  }
}
