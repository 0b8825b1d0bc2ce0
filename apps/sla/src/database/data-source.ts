import { type TypeOrmOptionsInput } from '@app/database';
import { OutboxMessage, ProcessedEvent } from '@app/messaging';
import { Calendar } from '../calendars/calendar.entity';
import { SlaClock } from '../clocks/sla-clock.entity';
import { type SlaConfig } from '../config/sla.config';
import { SlaPolicy } from '../policies/sla-policy.entity';
import { InitialSlaSchema1764000000000 } from './migrations/1764000000000-initial-sla-schema';
import { ClockLifecycle1764200000000 } from './migrations/1764200000000-clock-lifecycle';
import { SlaTickets1764300000000 } from './migrations/1764300000000-sla-tickets';
import { SlaTicketTeam1764400000000 } from './migrations/1764400000000-sla-ticket-team';
import { CalendarCountry1764500000000 } from './migrations/1764500000000-calendar-country';
import { ClockUpdatedAt1764600000000 } from './migrations/1764600000000-clock-updated-at';
import { SlaTicketMetadata1764700000000 } from './migrations/1764700000000-sla-ticket-metadata';
import { UniquePolicyNames1764810000000 } from './migrations/1764810000000-unique-policy-names';
import { SlaTicketReplay1764820000000 } from './migrations/1764820000000-sla-ticket-replay';
import { InboxKeyedByTenant1765000000000 } from './migrations/1765000000000-inbox-keyed-by-tenant';
import { DurableTimers1765200000000 } from './migrations/1765200000000-durable-timers';
import { DropClockChangeTracking1765210000000 } from './migrations/1765210000000-drop-clock-change-tracking';
import { DeadLetters1765600000000 } from './migrations/1765600000000-dead-letters';
import { TraceContext1765700000000 } from './migrations/1765700000000-trace-context';
import { SlaTicket } from '../clocks/sla-ticket.entity';

export function slaDatabase(config: Pick<SlaConfig, 'database'>): TypeOrmOptionsInput {
  return {
    database: config.database,
    applicationName: 'ticketflow-sla',
    entities: [SlaPolicy, Calendar, SlaClock, SlaTicket, OutboxMessage, ProcessedEvent],
    migrations: [
      InitialSlaSchema1764000000000,
      ClockLifecycle1764200000000,
      SlaTickets1764300000000,
      SlaTicketTeam1764400000000,
      CalendarCountry1764500000000,
      ClockUpdatedAt1764600000000,
      SlaTicketMetadata1764700000000,
      UniquePolicyNames1764810000000,
      SlaTicketReplay1764820000000,
      InboxKeyedByTenant1765000000000,
      DurableTimers1765200000000,
      DropClockChangeTracking1765210000000,
      DeadLetters1765600000000,
      TraceContext1765700000000,
    ],
  };
}
