import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { CurrentPrincipal, notFound, type Principal, Tenant, uuidParam } from '@app/http';
import { AssignmentService } from '../assignment/assignment.service';
import { AuditLog } from '@app/audit';
import { Team } from '../teams/team.entity';
import { RoutingRuleDto } from './dto/routing-rule.dto';
import { RoutingRule } from './routing-rule.entity';

const view = ({ id, position, match, assign, createdAt, updatedAt }: RoutingRule) => ({
  id,
  position,
  match,
  assign,
  createdAt,
  updatedAt,
});

@ApiTags('routing rules')
@ApiBearerAuth()
@Controller('v1/routing-rules')
export class RoutingRulesController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly assignments: AssignmentService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The ordered rules; the first match decides (admin)' })
  async list(@Tenant() tenant: string) {
    return (
      await this.dataSource
        .getRepository(RoutingRule)
        .find({ where: { tenant }, order: { position: 'ASC', createdAt: 'ASC' } })
    ).map(view);
  }

  @Post()
  @ApiOperation({ summary: 'Add a rule (admin)' })
  @ApiCreatedResponse({ description: 'The new rule' })
  @ApiNotFoundResponse({ description: '`team_not_found`: no team has this teamId' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: RoutingRuleDto) {
    const { tenant } = principal;
    return this.dataSource.transaction(async (manager) => {
      await this.assertTeam(manager, tenant, body.assign.teamId);
      const [{ next }] = await manager.query<Array<{ next: number }>>(
        'SELECT COALESCE(max(position) + 1, 0)::int AS next FROM routing_rules WHERE tenant = $1',
        [tenant],
      );
      const rule = view(
        await manager.save(
          manager.create(RoutingRule, {
            tenant,
            position: body.position ?? next,
            match: { ...body.match },
            assign: { ...body.assign },
          }),
        ),
      );
      await this.changed(manager, principal, rule.id, 'created', null, rule);
      return rule;
    });
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a rule (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  replace(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
    @Body() body: RoutingRuleDto,
  ) {
    return this.dataSource.transaction(async (manager) => {
      const before = view(await this.find(manager, principal.tenant, id));
      await this.assertTeam(manager, principal.tenant, body.assign.teamId);
      await manager.update(
        RoutingRule,
        { id },
        { position: body.position ?? before.position, match: { ...body.match }, assign: { ...body.assign } },
      );
      const after = view(await manager.findOneByOrFail(RoutingRule, { id }));
      await this.changed(manager, principal, id, 'updated', before, after);
      return after;
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a rule (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const before = view(await this.find(manager, principal.tenant, id));
      await manager.delete(RoutingRule, { id });
      await this.changed(manager, principal, id, 'deleted', before, null);
    });
  }

  /** Audits the change, and re-plans queued tickets: what each waits for may have changed with it. */
  private async changed(
    manager: EntityManager,
    principal: Principal,
    id: string,
    action: 'created' | 'updated' | 'deleted',
    before: object | null,
    after: object | null,
  ): Promise<void> {
    await this.audit.record(manager, principal, {
      entityType: 'routing_rule',
      entityId: id,
      action,
      before,
      after,
    });
    await this.assignments.replanQueue(manager, principal.tenant);
  }

  private async find(manager: EntityManager, tenant: string, id: string): Promise<RoutingRule> {
    const rule = await manager.findOneBy(RoutingRule, { id, tenant });
    if (!rule) throw notFound('routing_rule_not_found', `No routing rule ${id}`);
    return rule;
  }

  private async assertTeam(
    manager: EntityManager,
    tenant: string,
    teamId: string | undefined,
  ): Promise<void> {
    if (teamId && !(await manager.findOneBy(Team, { id: teamId, tenant })))
      throw notFound('team_not_found', `No team ${teamId}`);
  }
}
