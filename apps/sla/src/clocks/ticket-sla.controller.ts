import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound, Roles, Tenant, uuidParam } from '@app/http';
import { SlaClock } from './sla-clock.entity';

@ApiTags('sla')
@ApiBearerAuth()
@Controller('v1/tickets')
export class TicketSlaController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get(':id/sla')
  @Roles('agent')
  @ApiOperation({
    summary: 'Every SLA clock of a ticket: target, due time, state and how the due time was computed',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  async clocks(@Tenant() tenant: string, @Param('id', uuidParam()) ticketId: string) {
    const clocks = await this.dataSource
      .getRepository(SlaClock)
      .find({ where: { tenant, ticketId }, order: { metric: 'ASC' } });
    if (clocks.length === 0) throw notFound('sla_not_found', `No SLA clocks for ticket ${ticketId}`);
    return {
      ticketId,
      clocks: clocks.map((clock) => ({
        id: clock.id,
        metric: clock.metric,
        target: clock.target,
        startedAt: clock.startedAt,
        dueAt: clock.dueAt,
        state: clock.state,
        pausedSeconds: clock.pausedSeconds,
        metAt: clock.metAt,
        breachedAt: clock.breachedAt,
        policy: { id: clock.policyId, version: clock.policyVersion },
        explanation: clock.explanation,
      })),
    };
  }
}
