import { type z } from 'zod';
import { AgentChanged } from './events/agent-changed';
import { ConversationEscalated } from './events/conversation-escalated';
import { CustomerMerged } from './events/customer-merged';
import { NotificationSent } from './events/notification-sent';
import { SurveyAnswered } from './events/survey-answered';
import { TicketTransitionRequested } from './events/ticket-transition-requested';
import { SlaBreached } from './events/sla-breached';
import { SlaMet } from './events/sla-met';
import { SlaEscalated } from './events/sla-escalated';
import { SlaPaused } from './events/sla-paused';
import { SlaResumed } from './events/sla-resumed';
import { SlaRecomputed } from './events/sla-recomputed';
import { SlaStarted } from './events/sla-started';
import { SlaWarning } from './events/sla-warning';
import { TicketAssigned } from './events/ticket-assigned';
import { TicketCreated } from './events/ticket-created';
import { TicketMessageAdded } from './events/ticket-message-added';
import { TicketQueued } from './events/ticket-queued';
import { TicketReassigned } from './events/ticket-reassigned';
import { TicketOverflowStopped } from './events/ticket-overflow-stopped';
import { TicketUnassigned } from './events/ticket-unassigned';
import { TicketMessageReceived } from './events/ticket-message-received';
import { TicketRequested } from './events/ticket-requested';
import { TicketUpdated } from './events/ticket-updated';
import { TicketStatusChanged } from './events/ticket-status-changed';
import { type Topic } from './topics';

/** Every event type the system knows. Adding one here makes it buildable, parseable and documented. */
export const EVENTS = {
  [TicketRequested.type]: TicketRequested,
  [TicketMessageReceived.type]: TicketMessageReceived,
  [ConversationEscalated.type]: ConversationEscalated,
  [TicketTransitionRequested.type]: TicketTransitionRequested,
  [TicketCreated.type]: TicketCreated,
  [TicketMessageAdded.type]: TicketMessageAdded,
  [TicketStatusChanged.type]: TicketStatusChanged,
  [TicketUpdated.type]: TicketUpdated,
  [CustomerMerged.type]: CustomerMerged,
  [TicketAssigned.type]: TicketAssigned,
  [TicketQueued.type]: TicketQueued,
  [TicketUnassigned.type]: TicketUnassigned,
  [TicketReassigned.type]: TicketReassigned,
  [TicketOverflowStopped.type]: TicketOverflowStopped,
  [AgentChanged.type]: AgentChanged,
  [SlaStarted.type]: SlaStarted,
  [SlaPaused.type]: SlaPaused,
  [SlaResumed.type]: SlaResumed,
  [SlaWarning.type]: SlaWarning,
  [SlaBreached.type]: SlaBreached,
  [SlaEscalated.type]: SlaEscalated,
  [SlaMet.type]: SlaMet,
  [SlaRecomputed.type]: SlaRecomputed,
  [NotificationSent.type]: NotificationSent,
  [SurveyAnswered.type]: SurveyAnswered,
} as const;

export type EventType = keyof typeof EVENTS;
export type EventData<T extends EventType> = z.infer<(typeof EVENTS)[T]['data']>;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENTS, type);
}

export function topicOf(type: EventType): Topic {
  return EVENTS[type].topic;
}

export function eventTypesOn(topic: Topic): EventType[] {
  return (Object.keys(EVENTS) as EventType[]).filter((type) => EVENTS[type].topic === topic);
}
