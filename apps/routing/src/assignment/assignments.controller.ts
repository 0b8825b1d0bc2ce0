import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound, Roles, Tenant, uuidParam } from '@app/http';
import { Assignment } from './assignment.entity';
import { QueuedTicket } from './queued-ticket.entity';

@ApiTags('assignments')
@ApiBearerAuth()
@Controller('v1/assignments')
export class AssignmentsController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get(':ticketId')
  @Roles('agent')
  @ApiOperation({ summary: "A ticket's assignment and why, or its place in the queue" })
  async show(@Tenant() tenant: string, @Param('ticketId', uuidParam()) ticketId: string) {
    const assignment = await this.dataSource.getRepository(Assignment).findOneBy({ tenant, ticketId });
    if (assignment) {
      const { agentId, teamId, state, ruleId, reason, assignedAt, releasedAt } = assignment;
      return { ticketId, state, agentId, teamId, ruleId, reason, assignedAt, releasedAt };
    }
    const queued = await this.dataSource.getRepository(QueuedTicket).findOneBy({ tenant, ticketId });
    if (queued) return { ticketId, state: 'queued', priority: queued.priority, queuedAt: queued.queuedAt };
    throw notFound('assignment_not_found', `Routing has not seen ticket ${ticketId}`);
  }
}
