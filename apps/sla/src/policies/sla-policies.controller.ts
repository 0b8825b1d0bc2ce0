import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '@app/database';
import { ApiError, notFound, Tenant, uuidParam } from '@app/http';
import { Calendar } from '../calendars/calendar.entity';
import { ClockService } from '../clocks/clock.service';
import { SlaPolicyDto } from './dto/sla-policy.dto';
import { unschedulableTargets } from './policy-targets';
import { livePolicies, lockPolicies, nameTaken, SlaPolicy, writePolicyVersion } from './sla-policy.entity';

const nameTakenError = (name: string) =>
  new ApiError(HttpStatus.CONFLICT, 'sla_policy_name_taken', `Another SLA policy is named "${name}"`, [
    { field: 'name', message: 'name must be unique among the live policies' },
  ]);

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
  @ApiParam({ name: 'id', format: 'uuid' })
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
  @ApiOperation({
    summary: 'Add a policy (admin). Without a position it goes first.',
    description:
      'Policies are matched lowest position first; at equal positions the older one comes first. ' +
      'Without a position the new policy is put before all others, moving them one place down if ' +
      'there is no room (their content and version stay).',
  })
  @ApiBadRequestResponse({
    description: '`validation_failed`: a field is invalid, e.g. a target that cannot be scheduled',
  })
  @ApiCreatedResponse({ description: 'The new policy, version 1' })
  @ApiNotFoundResponse({ description: '`calendar_not_found`' })
  @ApiConflictResponse({ description: '`sla_policy_name_taken`: another live policy has this name' })
  create(@Tenant() tenant: string, @Body() body: SlaPolicyDto) {
    return this.writing(body.name, async (manager) => {
      await lockPolicies(manager, tenant);
      await this.assertTerms(manager, tenant, body);
      await this.assertNameFree(manager, tenant, body.name);
      return view(
        await writePolicyVersion(manager, {
          tenant,
          id: randomUUID(),
          version: 1,
          position: body.position ?? (await this.firstPosition(manager, tenant)),
          body,
        }),
      );
    });
  }

  @Get()
  @ApiOperation({ summary: 'Current version of every active policy, in match order (admin)' })
  async list(@Tenant() tenant: string) {
    const policies = await livePolicies(this.dataSource.manager, tenant);
    return policies.map(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'The current version of a policy (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async show(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.current(this.dataSource.manager, tenant, id));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Write the next version of a policy; running clocks keep theirs (admin)' })
  @ApiBadRequestResponse({
    description: '`validation_failed`: a field is invalid, e.g. a target that cannot be scheduled',
  })
  @ApiOkResponse({ description: 'The policy’s new current version' })
  @ApiNotFoundResponse({ description: '`sla_policy_not_found` or `calendar_not_found`' })
  @ApiConflictResponse({ description: '`sla_policy_name_taken`: another live policy has this name' })
  @ApiParam({ name: 'id', format: 'uuid' })
  replace(@Tenant() tenant: string, @Param('id', uuidParam()) id: string, @Body() body: SlaPolicyDto) {
    return this.writing(body.name, async (manager) => {
      await lockPolicies(manager, tenant);
      const previous = await this.current(manager, tenant, id, true);
      await this.assertTerms(manager, tenant, body);
      await this.assertNameFree(manager, tenant, body.name, id);
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
  @ApiParam({ name: 'id', format: 'uuid' })
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

  /** A write in one transaction; a name taken by a concurrent writer still answers 409. */
  private async writing<T>(name: string, write: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(write);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTakenError(name);
      throw error;
    }
  }

  /** The calendar exists and every target can be scheduled on it (around the clock without one). */
  private async assertTerms(manager: EntityManager, tenant: string, body: SlaPolicyDto): Promise<void> {
    const calendar = body.calendarId
      ? await manager.findOneBy(Calendar, { id: body.calendarId, tenant })
      : null;
    if (body.calendarId && !calendar) throw notFound('calendar_not_found', `No calendar ${body.calendarId}`);
    const problems = unschedulableTargets(body.targets, calendar);
    if (problems.length > 0)
      throw new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', problems);
  }

  private async assertNameFree(manager: EntityManager, tenant: string, name: string, id?: string) {
    if (await nameTaken(manager, tenant, name, id)) throw nameTakenError(name);
  }

  /**
   * Before every live policy: one below the lowest position, or 0 with the others moved one place
   * down when the lowest is already 0, so the new policy is first in the list and in matching
   * alike. Moving changes only the order, not a policy's content, so it writes no new version.
   */
  private async firstPosition(manager: EntityManager, tenant: string): Promise<number> {
    const [{ lowest }] = await manager.query<Array<{ lowest: number | null }>>(
      'SELECT min(position)::int AS lowest FROM sla_policies WHERE tenant = $1 AND current AND active',
      [tenant],
    );
    if (lowest === null) return 1000;
    if (lowest > 0) return lowest - 1;
    await manager.query(
      'UPDATE sla_policies SET position = position + 1 WHERE tenant = $1 AND current AND active',
      [tenant],
    );
    return 0;
  }
}
