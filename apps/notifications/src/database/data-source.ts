import { type TypeOrmOptionsInput } from '@app/database';
import { OutboxMessage, ProcessedEvent } from '@app/messaging';
import { type NotificationsConfig } from '../config/notifications.config';
import { TicketContact } from '../contacts/ticket-contact.entity';
import { Delivery } from '../deliveries/delivery.entity';
import { InitialNotificationsSchema1764000000000 } from './migrations/1764000000000-initial-notifications-schema';

export function notificationsDatabase(config: Pick<NotificationsConfig, 'database'>): TypeOrmOptionsInput {
  return {
    database: config.database,
    applicationName: 'ticketflow-notifications',
    entities: [TicketContact, Delivery, OutboxMessage, ProcessedEvent],
    migrations: [InitialNotificationsSchema1764000000000],
  };
}
