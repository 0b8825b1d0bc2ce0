import { type DynamicModule, Module } from '@nestjs/common';
import { auditController, AuditLog } from '@app/audit';
import { Topic } from '@app/contracts';
import { DatabaseModule, queueBoardProvider } from '@app/database';
import { HttpPlatformModule } from '@app/http';
import { DeadLettersModule, MessagingModule } from '@app/messaging';
import { HealthModule, LoggingModule, MetricsModule, MetricsService } from '@app/observability';
import { DataSource } from 'typeorm';
import { AgentsController } from './agents/agents.controller';
import { AgentSelector } from './assignment/agent-selector';
import { AssignmentService } from './assignment/assignment.service';
import { AssignmentsController } from './assignment/assignments.controller';
import { OverflowTimers } from './assignment/overflow-timers';
import { QueueDrainer } from './assignment/queue-drainer';
import { RoutingPlanner } from './assignment/routing-plan';
import { type RoutingConfig } from './config/routing.config';
import { routingDatabase } from './database/data-source';
import { OverflowProcessor } from './overflow/overflow.processor';
import { ROUTING_CONFIG } from './routing.tokens';
import { RoutingRulesController } from './rules/routing-rules.controller';
import { TeamsController } from './teams/teams.controller';
import { TicketEventsConsumer } from './tickets/ticket-events.consumer';

const AuditController = auditController({
  entityTypes: ['agent', 'team', 'routing_rule'],
  summary: 'Admin changes to agents, teams and routing rules, newest first (admin)',
});

@Module({})
export class RoutingModule {
  static forRoot(config: RoutingConfig): DynamicModule {
    return {
      module: RoutingModule,
      imports: [
        LoggingModule.forRoot({ service: 'routing', level: config.http.logLevel }),
        MetricsModule.forRoot({ service: 'routing' }),
        HealthModule.forRoot(),
        HttpPlatformModule.forRoot({
          apiKeys: config.auth.apiKeys,
          operatorTenant: config.auth.operatorTenant,
          rateLimit: config.rateLimit && { ...config.rateLimit, redis: config.redis },
        }),
        DatabaseModule.forRoot(routingDatabase(config)),
        MessagingModule.forRoot({
          kafka: config.kafka,
          schema: config.database.schema,
          publishes: [Topic.AssignmentEvents, Topic.AgentEvents],
        }),
        DeadLettersModule,
      ],
      controllers: [
        AgentsController,
        TeamsController,
        RoutingRulesController,
        AssignmentsController,
        AuditController,
        TicketEventsConsumer,
      ],
      providers: [
        { provide: ROUTING_CONFIG, useValue: config },
        RoutingPlanner,
        AgentSelector,
        AssignmentService,
        AuditLog,
        OverflowTimers,
        OverflowProcessor,
        queueBoardProvider({
          title: 'ticketflow routing',
          inject: [OverflowTimers],
          queues: (overflows) => [overflows.wakeUps],
        }),
        QueueDrainer,
        {
          provide: 'ROUTING_QUEUE_DEPTH',
          inject: [MetricsService, DataSource],
          useFactory: (metrics: MetricsService, dataSource: DataSource) =>
            metrics.gauge('routing_queue_depth', 'Tickets waiting for an agent', [], async (gauge) => {
              const [row] = await dataSource.query<Array<{ n: number }>>(
                'SELECT count(*)::int AS n FROM routing_queue',
              );
              gauge.set(row?.n ?? 0);
            }),
        },
      ],
    };
  }
}
