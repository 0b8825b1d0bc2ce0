import { type TypeOrmOptionsInput } from '@app/database';
import { OutboxMessage, ProcessedEvent } from '@app/messaging';
import { Agent } from '../agents/agent.entity';
import { Assignment } from '../assignment/assignment.entity';
import { QueuedTicket } from '../assignment/queued-ticket.entity';
import { type RoutingConfig } from '../config/routing.config';
import { RoutingRule } from '../rules/routing-rule.entity';
import { Team } from '../teams/team.entity';
import { InitialRoutingSchema1764000000000 } from './migrations/1764000000000-initial-routing-schema';
import { RoutingDecisions1764200000000 } from './migrations/1764200000000-routing-decisions';
import { RoutingTicketMetadata1764700000000 } from './migrations/1764700000000-routing-ticket-metadata';
import { InboxKeyedByTenant1765000000000 } from './migrations/1765000000000-inbox-keyed-by-tenant';
import { BoundedOverflow1765100000000 } from './migrations/1765100000000-bounded-overflow';
import { OverflowTimers1765300000000 } from './migrations/1765300000000-overflow-timers';
import { DeadLetters1765600000000 } from './migrations/1765600000000-dead-letters';
import { TraceContext1765700000000 } from './migrations/1765700000000-trace-context';
import { AuditEntry } from '@app/audit';
import { RoutingTicket } from '../tickets/routing-ticket.entity';

export function routingDatabase(config: Pick<RoutingConfig, 'database'>): TypeOrmOptionsInput {
  return {
    database: config.database,
    applicationName: 'ticketflow-routing',
    entities: [
      Agent,
      Team,
      RoutingRule,
      RoutingTicket,
      Assignment,
      QueuedTicket,
      AuditEntry,
      OutboxMessage,
      ProcessedEvent,
    ],
    migrations: [
      InitialRoutingSchema1764000000000,
      RoutingDecisions1764200000000,
      RoutingTicketMetadata1764700000000,
      InboxKeyedByTenant1765000000000,
      BoundedOverflow1765100000000,
      OverflowTimers1765300000000,
      DeadLetters1765600000000,
      TraceContext1765700000000,
    ],
  };
}
