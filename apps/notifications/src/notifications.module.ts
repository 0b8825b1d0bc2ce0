import { type DynamicModule, Module } from '@nestjs/common';
import { Topic } from '@app/contracts';
import { DatabaseModule } from '@app/database';
import { HttpPlatformModule } from '@app/http';
import { MessagingModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { type NotificationsConfig } from './config/notifications.config';
import { SlaEventsConsumer } from './contacts/sla-events.consumer';
import { TicketEventsConsumer } from './contacts/ticket-events.consumer';
import { notificationsDatabase } from './database/data-source';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveryLedger } from './deliveries/delivery-ledger';
import { DeliveryQueue } from './deliveries/delivery-queue';
import { DeliveryReconciler } from './deliveries/delivery-reconciler';
import { DeliveryWorker } from './deliveries/delivery.worker';
import { MailSender } from './email/mail-sender';
import { NOTIFICATIONS_CONFIG } from './notifications.tokens';

@Module({})
export class NotificationsModule {
  static forRoot(config: NotificationsConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [
        LoggingModule.forRoot({ service: 'notifications', level: config.http.logLevel }),
        MetricsModule.forRoot({ service: 'notifications' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({ apiKeys: config.auth.apiKeys }),
        DatabaseModule.forRoot(notificationsDatabase(config)),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [Topic.NotificationEvents],
        }),
      ],
      controllers: [DeliveriesController, TicketEventsConsumer, SlaEventsConsumer],
      providers: [
        { provide: NOTIFICATIONS_CONFIG, useValue: config },
        MailSender,
        DeliveryQueue,
        DeliveryLedger,
        DeliveryWorker,
        DeliveryReconciler,
      ],
    };
  }
}
