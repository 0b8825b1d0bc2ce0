import { AuditEntry } from '@app/audit';
import { type TypeOrmOptionsInput } from '@app/database';
import { OutboxMessage, ProcessedEvent } from '@app/messaging';
import { type NotificationsConfig } from '../config/notifications.config';
import { TicketContact } from '../contacts/ticket-contact.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { FollowUp } from '../follow-ups/follow-up.entity';
import { Survey } from '../surveys/survey.entity';
import { TemplateOverride } from '../templates/template-override.entity';
import { Webhook } from '../webhooks/webhook.entity';
import { InitialNotificationsSchema1764000000000 } from './migrations/1764000000000-initial-notifications-schema';
import { ChannelsAndFollowUps1764600000000 } from './migrations/1764600000000-channels-and-follow-ups';
import { QuietHoursAndBatching1764700000000 } from './migrations/1764700000000-quiet-hours-and-batching';
import { AgentDirectory1764800000000 } from './migrations/1764800000000-agent-directory';
import { InboxKeyedByTenant1765000000000 } from './migrations/1765000000000-inbox-keyed-by-tenant';
import { FollowUpTimers1765300000000 } from './migrations/1765300000000-follow-up-timers';
import { DeliveryTimers1765400000000 } from './migrations/1765400000000-delivery-timers';
import { NoticesAwaitingAnAssignee1765500000000 } from './migrations/1765500000000-notices-awaiting-an-assignee';
import { DeadLetters1765600000000 } from './migrations/1765600000000-dead-letters';
import { TraceContext1765700000000 } from './migrations/1765700000000-trace-context';
import { AuditLog1765710000000 } from './migrations/1765710000000-audit-log';
import { DeliveryResends1765610000000 } from './migrations/1765610000000-delivery-resends';
import { DirectoryAgent } from '../contacts/directory-agent.entity';
import { RecipientPreference } from '../recipients/recipient-preference.entity';

export function notificationsDatabase(config: Pick<NotificationsConfig, 'database'>): TypeOrmOptionsInput {
  return {
    database: config.database,
    applicationName: 'ticketflow-notifications',
    entities: [
      TicketContact,
      Delivery,
      Webhook,
      TemplateOverride,
      FollowUp,
      Survey,
      RecipientPreference,
      DirectoryAgent,
      AuditEntry,
      OutboxMessage,
      ProcessedEvent,
    ],
    migrations: [
      InitialNotificationsSchema1764000000000,
      ChannelsAndFollowUps1764600000000,
      QuietHoursAndBatching1764700000000,
      AgentDirectory1764800000000,
      InboxKeyedByTenant1765000000000,
      FollowUpTimers1765300000000,
      DeliveryTimers1765400000000,
      NoticesAwaitingAnAssignee1765500000000,
      DeadLetters1765600000000,
      DeliveryResends1765610000000,
      TraceContext1765700000000,
      AuditLog1765710000000,
    ],
  };
}
