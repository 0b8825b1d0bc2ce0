import { type DynamicModule, Module } from '@nestjs/common';
import { Topic } from '@app/contracts';
import { DatabaseModule } from '@app/database';
import { HttpPlatformModule } from '@app/http';
import { MessagingModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { type IntakeConfig } from './config/intake.config';
import { CustomerResolver } from './customers/customer-resolver';
import { CustomersController } from './customers/customers.controller';
import { intakeDatabase } from './database/data-source';
import { InboundConsumer } from './inbound/inbound.consumer';
import { CreateTicketHandler } from './tickets/create-ticket.handler';
import { TicketChangesHandler } from './tickets/ticket-changes.handler';
import { TicketEventEmitter } from './tickets/ticket-event.emitter';
import { TicketQueries } from './tickets/ticket-queries';
import { TicketsController } from './tickets/tickets.controller';
import { TimelineConsumer } from './timeline/timeline.consumer';
import { TimelineWriter } from './timeline/timeline.writer';

@Module({})
export class IntakeModule {
  static forRoot(config: IntakeConfig): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        LoggingModule.forRoot({ service: 'intake', level: config.http.logLevel }),
        MetricsModule.forRoot({ service: 'intake' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({ apiKeys: config.auth.apiKeys }),
        DatabaseModule.forRoot(intakeDatabase(config)),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [Topic.TicketEvents],
        }),
      ],
      controllers: [TicketsController, CustomersController, InboundConsumer, TimelineConsumer],
      providers: [
        CustomerResolver,
        CreateTicketHandler,
        TicketChangesHandler,
        TicketEventEmitter,
        TicketQueries,
        TimelineWriter,
      ],
    };
  }
}
