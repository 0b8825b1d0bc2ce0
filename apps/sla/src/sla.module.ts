import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { text } from 'express';
import { Topic } from '@app/contracts';
import { DatabaseModule, queueBoardProvider } from '@app/database';
import { HttpPlatformModule } from '@app/http';
import { DeadLettersModule, MessagingModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { CalendarsController } from './calendars/calendars.controller';
import { ClockService } from './clocks/clock.service';
import { TicketEventsConsumer } from './clocks/ticket-events.consumer';
import { TicketSlaController } from './clocks/ticket-sla.controller';
import { type SlaConfig } from './config/sla.config';
import { slaDatabase } from './database/data-source';
import { PolicyDocuments } from './policies/policy-document';
import { PolicySimulator } from './policies/policy-simulator';
import { PolicyDocumentController, YAML_CONTENT_TYPES } from './policies/policy-document.controller';
import { SlaPoliciesController } from './policies/sla-policies.controller';
import { SlaReportController } from './reports/sla-report.controller';
import { SLA_CONFIG } from './sla.tokens';
import { DeadlineCalculator } from './calendars/deadline';
import { TimerProcessor } from './timers/timer.processor';
import { SlaTimers } from './clocks/sla-timers';

@Module({})
export class SlaModule implements NestModule {
  static forRoot(config: SlaConfig): DynamicModule {
    return {
      module: SlaModule,
      imports: [
        LoggingModule.forRoot({ service: 'sla', level: config.http.logLevel }),
        MetricsModule.forRoot({ service: 'sla' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({
          apiKeys: config.auth.apiKeys,
          operatorTenant: config.auth.operatorTenant,
          rateLimit: config.rateLimit && { ...config.rateLimit, redis: config.redis },
        }),
        DatabaseModule.forRoot(slaDatabase(config)),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [Topic.SlaEvents],
        }),
        DeadLettersModule,
      ],
      controllers: [
        // Before SlaPoliciesController, whose `:id` routes would otherwise claim /export and /import.
        PolicyDocumentController,
        SlaPoliciesController,
        CalendarsController,
        TicketSlaController,
        SlaReportController,
        TicketEventsConsumer,
      ],
      providers: [
        { provide: SLA_CONFIG, useValue: config },
        SlaTimers,
        queueBoardProvider({
          title: 'ticketflow sla',
          inject: [SlaTimers],
          queues: (timers) => [timers.wakeUps],
        }),
        DeadlineCalculator,
        TimerProcessor,
        PolicyDocuments,
        PolicySimulator,
        ClockService,
      ],
    };
  }

  /** YAML for the policy import; every other route takes JSON. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(text({ type: YAML_CONTENT_TYPES, limit: '1mb' })).forRoutes('v1/sla-policies/import');
  }
}
