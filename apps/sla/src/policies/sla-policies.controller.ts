import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { notFound, Tenant, uuidParam } from '@app/http';
import { Calendar } from '../calendars/calendar.entity';
import { ClockService } from '../clocks/clock.service';
import { SlaPolicyDto } from './dto/sla-policy.dto';
import { SlaPolicy, writePolicyVersion } from './sla-policy.entity';

const view = (p: SlaPolicy) => ({
  id: p.id,
  version: p.version,
  name: p.name,
  position: p.position,
  match: p.match,
  targets: p.targets,
  calendarId: p.calendarId,
  pauseOn: p.pauseOn,
  warnAt: p.warnAt,
  escalation: p.escalation,
  active: p.active,
  createdAt: p.createdAt,
});

@ApiTags('sla policies')
@ApiBearerAuth()
@Controller('v1/sla-policies')
export class SlaPoliciesController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clocks: ClockService,
  ) {}

  @Post(':id/apply-to-open')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move open tickets that match this policy to its current version (admin)',
    description:
      'Running and paused clocks keep the business time already counted and the pauses already taken; ' +
      'their due times are recomputed on the new targets and calendar, and each emits sla.recomputed.',
  })
  async applyToOpen(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    const policy = await this.current(this.dataSource.manager, tenant, id);
    const open = await this.dataSource.query<Array<{ ticket_id: string }>>(
      `SELECT DISTINCT ticket_id FROM sla_clocks WHERE tenant = $1 AND state IN ('running', 'paused')`,
      [tenant],
    );
    let clocks = 0;
    let tickets = 0;
    // One transaction per ticket: a large backlog never holds every clock locked at once.
    for (const { ticket_id: ticketId } of open) {
      const moved = await this.dataSource.transaction((manager) =>
        this.clocks.recompute(manager, tenant, ticketId, 'policy_applied', { kind: 'http' }, id),
      );
      clocks += moved;
      if (moved > 0) tickets += 1;
    }
    return { policyId: id, version: policy.version, ticketsRecomputed: tickets, clocksRecomputed: clocks };
  }

  @Post()
  @ApiOperation({ summary: 'Add a policy (admin). Without a position it goes first.' })
  create(@Tenant() tenant: string, @Body() body: SlaPolicyDto) {
    return this.dataSource.transaction(async (manager) => {
      await this.assertCalendar(manager, tenant, body.calendarId);
      const [{ first }] = await manager.query<Array<{ first: number }>>(
        'SELECT GREATEST(COALESCE(min(position) - 1, 1000), 0)::int AS first FROM sla_policies WHERE tenant = $1 AND current AND active',
        [tenant],
      );
      return view(
        await writePolicyVersion(manager, {
          tenant,
          id: randomUUID(),
          version: 1,
          position: body.position ?? first,
          body,
        }),
      );
    });
  }

  @Get()
  @ApiOperation({ summary: 'Current version of every active policy, in match order (admin)' })
  async list(@Tenant() tenant: string) {
    const policies = await this.dataSource
      .getRepository(SlaPolicy)
      .find({ where: { tenant, current: true, active: true }, order: { position: 'ASC', createdAt: 'ASC' } });
    return policies.map(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'The current version of a policy (admin)' })
  async show(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.current(this.dataSource.manager, tenant, id));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Write the next version of a policy; running clocks keep theirs (admin)' })
  replace(@Tenant() tenant: string, @Param('id', uuidParam()) id: string, @Body() body: SlaPolicyDto) {
    return this.dataSource.transaction(async (manager) => {
      const previous = await this.current(manager, tenant, id, true);
      await this.assertCalendar(manager, tenant, body.calendarId);
      await manager.update(SlaPolicy, { id, version: previous.version }, { current: false });
      return view(
        await writePolicyVersion(manager, {
          tenant,
          id: id,
          version: previous.version + 1,
          position: body.position ?? previous.position,
          body,
        }),
      );
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Retire a policy: no new clock starts under it (admin)' })
  async retire(@Tenant() tenant: string, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const policy = await this.current(manager, tenant, id, true);
      await manager.update(SlaPolicy, { id, version: policy.version }, { active: false });
    });
  }

  private async current(
    manager: EntityManager,
    tenant: string,
    id: string,
    lock = false,
  ): Promise<SlaPolicy> {
    const policy = await manager.findOne(SlaPolicy, {
      where: { tenant, id, current: true, active: true },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!policy) throw notFound('sla_policy_not_found', `No SLA policy ${id}`);
    return policy;
  }

  private async assertCalendar(
    manager: EntityManager,
    tenant: string,
    calendarId: string | undefined,
  ): Promise<void> {
    if (calendarId && !(await manager.findOneBy(Calendar, { id: calendarId, tenant })))
      throw notFound('calendar_not_found', `No calendar ${calendarId}`);
  }
}
