import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({
    summary: "A ticket's assignment and why, or its place in the queue",
    description:
      '`decision` names the rule that matched, the team and skills it required, and why each other agent was not chosen.',
  })
  @ApiParam({ name: 'ticketId', format: 'uuid' })
  async show(@Tenant() tenant: string, @Param('ticketId', uuidParam()) ticketId: string) {
    const assignment = await this.dataSource.getRepository(Assignment).findOneBy({ tenant, ticketId });
    if (assignment) {
      const {
        agentId,
        teamId,
        state,
        ruleId,
        reason,
        assignedAt,
        releasedAt,
        epoch,
        respondedAt,
        overflowDueAt,
        overflowCount,
        overflowedFrom,
        overflowStoppedAt,
        decision,
      } = assignment;
      return {
        ticketId,
        state,
        agentId,
        teamId,
        ruleId,
        reason,
        decision,
        assignedAt,
        releasedAt,
        epoch,
        respondedAt,
        overflowDueAt,
        overflowCount,
        overflowedFrom,
        overflowStoppedAt,
      };
    }
    const queued = await this.dataSource.getRepository(QueuedTicket).findOneBy({ tenant, ticketId });
    if (queued) {
      const [{ position }] = await this.dataSource.query<Array<{ position: number }>>(
        `SELECT count(*)::int + 1 AS position FROM routing_queue
         WHERE tenant = $1 AND (priority_rank, queued_at, ticket_id) < ($2, $3, $4)`,
        [tenant, queued.priorityRank, queued.queuedAt, ticketId],
      );
      return {
        ticketId,
        state: 'queued',
        priority: queued.priority,
        position,
        waitsFor: { teamId: queued.teamId, requiredSkills: queued.requiredSkills, ruleId: queued.ruleId },
        queuedAt: queued.queuedAt,
      };
    }
    throw notFound('assignment_not_found', `Routing has not seen ticket ${ticketId}`);
  }
}
