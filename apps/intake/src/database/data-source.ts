import { type TypeOrmOptionsInput } from '@app/database';
import { OutboxMessage, ProcessedEvent } from '@app/messaging';
import { type IntakeConfig } from '../config/intake.config';
import { CustomerIdentity } from '../customers/customer-identity.entity';
import { Customer } from '../customers/customer.entity';
import { Message } from '../tickets/message.entity';
import { Ticket } from '../tickets/ticket.entity';
import { TimelineEntry } from '../timeline/timeline-entry.entity';
import { InitialIntakeSchema1764000000000 } from './migrations/1764000000000-initial-intake-schema';
import { Conversations1764200000000 } from './migrations/1764200000000-conversations';
import { TicketMetadata1764600000000 } from './migrations/1764600000000-ticket-metadata';
import { ChatMessageKeys1764750000000 } from './migrations/1764750000000-chat-message-keys';
import { InboxKeyedByTenant1765000000000 } from './migrations/1765000000000-inbox-keyed-by-tenant';
import { DeadLetters1765600000000 } from './migrations/1765600000000-dead-letters';
import { TraceContext1765700000000 } from './migrations/1765700000000-trace-context';

export function intakeDatabase(config: Pick<IntakeConfig, 'database'>): TypeOrmOptionsInput {
  return {
    database: config.database,
    applicationName: 'ticketflow-intake',
    entities: [Customer, CustomerIdentity, Ticket, Message, TimelineEntry, OutboxMessage, ProcessedEvent],
    migrations: [
      InitialIntakeSchema1764000000000,
      Conversations1764200000000,
      TicketMetadata1764600000000,
      ChatMessageKeys1764750000000,
      InboxKeyedByTenant1765000000000,
      DeadLetters1765600000000,
      TraceContext1765700000000,
    ],
  };
}

/** The same definition for the TypeORM CLI and the bootstrap script. */
