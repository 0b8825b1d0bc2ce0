/**
 * Every Kafka topic the system uses. Names are versioned: a breaking change to a topic's
 * payloads gets a new topic (`.v2`) so old consumers keep working during a migration.
 */
export enum Topic {
  /** Other systems publish CloudEvents here (email gateways, chat widgets, chatbots, ...). */
  TicketsInbound = 'tickets.inbound.v1',
  /**
   * Commands the services themselves issue to intake (auto-close, auto-solve). Internal: outside
   * publishers are never granted write access to it, unlike tickets.inbound.v1.
   */
  TicketCommands = 'tickets.commands.v1',
  /** Ticket lifecycle, published by intake. */
  TicketEvents = 'tickets.events.v1',
  /** Customer profile changes such as merges, published by intake. */
  CustomerEvents = 'customers.events.v1',
  /** Assignment decisions, published by routing. */
  AssignmentEvents = 'routing.assignments.v1',
  /** Agents added, changed and removed, published by routing. */
  AgentEvents = 'routing.agents.v1',
  /** SLA clock lifecycle, published by sla. */
  SlaEvents = 'sla.events.v1',
  /** Deliveries and surveys, published by notifications. */
  NotificationEvents = 'notifications.events.v1',
}

export const ALL_TOPICS: readonly Topic[] = Object.values(Topic);

/** Where a consumer parks a message it cannot process, with the reason in headers. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
