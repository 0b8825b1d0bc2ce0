import { type TypeOrmOptionsInput } from '@app/database';
import { OutboxMessage, ProcessedEvent } from '@app/messaging';
import { Agent } from '../agents/agent.entity';
import { Assignment } from '../assignment/assignment.entity';
import { QueuedTicket } from '../assignment/queued-ticket.entity';
import { type RoutingConfig } from '../config/routing.config';
import { RoutingRule } from '../rules/routing-rule.entity';
import { Team } from '../teams/team.entity';
import { InitialRoutingSchema1764000000000 } from './migrations/1764000000000-initial-routing-schema';

export function routingDatabase(config: Pick<RoutingConfig, 'database'>): TypeOrmOptionsInput {
  return {
    database: config.database,
    applicationName: 'ticketflow-routing',
    entities: [Agent, Team, RoutingRule, Assignment, QueuedTicket, OutboxMessage, ProcessedEvent],
    migrations: [InitialRoutingSchema1764000000000],
  };
}
