export * from './topics';
export * from './values';
export * from './errors';
export * from './define-event';
export * from './registry';
export * from './envelope';
export * from './build-event';
export * from './parse-event';
export * from './describe-issues';
export * from './ticket-match';
export * from './asyncapi';
export * from './signed-records';
export { TicketRequested, ticketRequestSchema, type TicketRequest } from './events/ticket-requested';
export {
  TicketMessageReceived,
  inboundMessageSchema,
  type InboundMessage,
} from './events/ticket-message-received';
export {
  ConversationEscalated,
  conversationEscalationSchema,
  type ConversationEscalation,
  type TranscriptEntry,
} from './events/conversation-escalated';
export { TicketCreated } from './events/ticket-created';
export { TicketUpdated } from './events/ticket-updated';
export { CustomerMerged } from './events/customer-merged';
export { TicketMessageAdded } from './events/ticket-message-added';
export { TicketStatusChanged } from './events/ticket-status-changed';
export { TicketAssigned } from './events/ticket-assigned';
export { TicketQueued } from './events/ticket-queued';
export { TicketUnassigned } from './events/ticket-unassigned';
export { TicketReassigned } from './events/ticket-reassigned';
export { TicketOverflowStopped } from './events/ticket-overflow-stopped';
export * from './routing-decision';
export { SlaStarted } from './events/sla-started';
export { SlaPaused } from './events/sla-paused';
export { SlaResumed } from './events/sla-resumed';
export { SlaWarning } from './events/sla-warning';
export { SlaBreached } from './events/sla-breached';
export { SlaEscalated } from './events/sla-escalated';
export { SlaMet } from './events/sla-met';
export { SlaRecomputed } from './events/sla-recomputed';
export { NotificationSent } from './events/notification-sent';
export * from './iso-duration';
