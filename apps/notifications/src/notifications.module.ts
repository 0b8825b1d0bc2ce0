import { type DynamicModule, Module } from '@nestjs/common';
import { auditController, AuditLog } from '@app/audit';
import { Topic } from '@app/contracts';
import { DatabaseModule, queueBoardProvider } from '@app/database';
import { HttpPlatformModule } from '@app/http';
import { DeadLettersModule, MessagingModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { type NotificationsConfig } from './config/notifications.config';
import { type ChannelAdapter, CHANNEL_ADAPTERS } from './channels/channel';
import { EmailChannel } from './channels/email.channel';
import { SlackChannel } from './channels/slack.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { NotificationEventsConsumer } from './consumers/notification-events.consumer';
import { ContactBook } from './contacts/contact-book';
import { notificationsDatabase } from './database/data-source';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveryLedger } from './deliveries/delivery-ledger';
import { DeliveryQueue } from './deliveries/delivery-queue';
import { DeliveryTimers } from './deliveries/delivery-timers';
import { DeliveryWatchdog } from './deliveries/delivery-watchdog';
import { DeliveryWorker } from './deliveries/delivery.worker';
import { MailSender } from './email/mail-sender';
import { FollowUpPlanner } from './follow-ups/follow-up-planner';
import { FollowUpScheduler } from './follow-ups/follow-up-scheduler';
import { FollowUpTimers } from './follow-ups/follow-up-timers';
import { FollowUpProcessor } from './follow-ups/follow-up.processor';
import { Notices } from './notices/notices';
import { NOTIFICATIONS_AUDITED, NOTIFICATIONS_CONFIG } from './notifications.tokens';
import { DeliveryTiming } from './recipients/delivery-timing.service';
import { RecipientPreferencesController } from './recipients/recipient-preferences.controller';
import { SurveyService } from './surveys/survey-service';
import { SurveysController } from './surveys/surveys.controller';
import { TemplateStore } from './templates/template-store';
import { TemplatesController } from './templates/templates.controller';
import { WebhookFanOut } from './webhooks/webhook-fan-out';
import { WebhookSecrets } from './webhooks/webhook-secrets';
import { WebhooksController } from './webhooks/webhooks.controller';

/** What operators do to deliveries by hand is recorded here; the ledger row keeps its own counts too. */
const AuditController = auditController({
  entityTypes: NOTIFICATIONS_AUDITED.entityTypes,
  summary: 'Deliveries resent by an operator, newest first (admin)',
});

@Module({})
export class NotificationsModule {
  static forRoot(config: NotificationsConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [
        LoggingModule.forRoot({
          service: 'notifications',
          level: config.http.logLevel,
          // A survey link's token is the customer's only credential for it.
          tokenPaths: ['/v1/surveys/'],
        }),
        MetricsModule.forRoot({ service: 'notifications' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({
          apiKeys: config.auth.apiKeys,
          operatorTenant: config.auth.operatorTenant,
          rateLimit: config.rateLimit && { ...config.rateLimit, redis: config.redis },
        }),
        DatabaseModule.forRoot(notificationsDatabase(config)),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          // Auto-close and auto-solve are requests to intake, on the topic it takes commands from.
          publishes: [Topic.NotificationEvents, Topic.TicketCommands],
        }),
        DeadLettersModule,
      ],
      controllers: [
        AuditController,
        DeliveriesController,
        WebhooksController,
        TemplatesController,
        SurveysController,
        RecipientPreferencesController,
        NotificationEventsConsumer,
      ],
      providers: [
        { provide: NOTIFICATIONS_CONFIG, useValue: config },
        AuditLog,
        MailSender,
        EmailChannel,
        WebhookChannel,
        SlackChannel,
        {
          provide: CHANNEL_ADAPTERS,
          useFactory: (...adapters: ChannelAdapter[]) => adapters,
          inject: [EmailChannel, WebhookChannel, SlackChannel],
        },
        DeliveryQueue,
        DeliveryLedger,
        DeliveryTiming,
        DeliveryWorker,
        DeliveryTimers,
        DeliveryWatchdog,
        queueBoardProvider({
          title: 'ticketflow notifications',
          inject: [DeliveryQueue, DeliveryTimers, FollowUpTimers],
          queues: (deliveries, deliveryTimers, followUps) => [
            deliveries.jobs,
            deliveryTimers.wakeUps,
            followUps.wakeUps,
          ],
        }),
        TemplateStore,
        ContactBook,
        Notices,
        WebhookFanOut,
        WebhookSecrets,
        FollowUpTimers,
        FollowUpScheduler,
        FollowUpPlanner,
        FollowUpProcessor,
        SurveyService,
      ],
    };
  }
}
