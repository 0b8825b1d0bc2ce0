import { type DynamicModule, Inject, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { raw } from 'express';
import { Topic } from '@app/contracts';
import { DatabaseModule } from '@app/database';
import { afterAuthentication, HttpPlatformModule } from '@app/http';
import { DeadLettersModule, MessagingModule, PublisherDirectory } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { ChannelsController, EMAIL_CONTENT_TYPES } from './channels/channels.controller';
import { type ConversationConfig, type IntakeConfig } from './config/intake.config';
import { ConversationMatcher } from './conversations/conversation-matcher';
import { CONVERSATION_CONFIG, ConversationHandler } from './conversations/conversation.handler';
import { CustomerMergeHandler } from './customers/customer-merge.handler';
import { CustomerResolver } from './customers/customer-resolver';
import { CustomersController } from './customers/customers.controller';
import { intakeDatabase } from './database/data-source';
import { InboundConsumer } from './inbound/inbound.consumer';
import { LanguageDetector, TicketLanguagePolicy } from './language/language-detector';
import { CreateTicketHandler } from './tickets/create-ticket.handler';
import { TicketChangesHandler } from './tickets/ticket-changes.handler';
import { TicketCommandsConsumer } from './tickets/ticket-commands.consumer';
import { TicketEventEmitter } from './tickets/ticket-event.emitter';
import { TicketQueries } from './tickets/ticket-queries';
import { TicketsController } from './tickets/tickets.controller';
import { TimelineConsumer } from './timeline/timeline.consumer';
import { TimelineWriter } from './timeline/timeline.writer';

@Module({})
export class IntakeModule implements NestModule {
  constructor(@Inject(CONVERSATION_CONFIG) private readonly conversations: ConversationConfig) {}

  static forRoot(config: IntakeConfig): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        LoggingModule.forRoot({ service: 'intake', level: config.http.logLevel }),
        MetricsModule.forRoot({ service: 'intake' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({
          apiKeys: config.auth.apiKeys,
          operatorTenant: config.auth.operatorTenant,
          rateLimit: config.rateLimit && { ...config.rateLimit, redis: config.redis },
        }),
        DatabaseModule.forRoot(intakeDatabase(config)),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [Topic.TicketEvents, Topic.CustomerEvents],
          signed: { topic: Topic.TicketsInbound, publishers: new PublisherDirectory(config.publishers) },
        }),
        DeadLettersModule,
      ],
      controllers: [
        TicketsController,
        CustomersController,
        ChannelsController,
        InboundConsumer,
        TicketCommandsConsumer,
        TimelineConsumer,
      ],
      providers: [
        { provide: CONVERSATION_CONFIG, useValue: config.conversations },
        {
          provide: TicketLanguagePolicy,
          useFactory: () =>
            new TicketLanguagePolicy(
              new LanguageDetector({ candidates: config.conversations.languageCandidates }),
              config.conversations.defaultLanguage,
            ),
        },
        CustomerResolver,
        CustomerMergeHandler,
        ConversationMatcher,
        ConversationHandler,
        CreateTicketHandler,
        TicketChangesHandler,
        TicketEventEmitter,
        TicketQueries,
        TimelineWriter,
      ],
    };
  }

  /**
   * Raw messages for the inbound-email webhook; every other route takes JSON. Like the JSON parser,
   * it reads nothing before the caller's API key is known.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(
        afterAuthentication(
          raw({ type: EMAIL_CONTENT_TYPES, limit: this.conversations.inboundEmailMaxBytes }),
        ),
      )
      .forRoutes('v1/channels/email');
  }
}
