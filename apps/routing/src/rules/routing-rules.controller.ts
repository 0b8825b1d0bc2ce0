import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { notFound, Tenant, uuidParam } from '@app/http';
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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
  create(@Tenant() tenant: string, @Body() body: RoutingRuleDto) {
    return this.dataSource.transaction(async (manager) => {
      await this.assertTeam(manager, tenant, body.assign.teamId);
      const [{ next }] = await manager.query<Array<{ next: number }>>(
        'SELECT COALESCE(max(position) + 1, 0)::int AS next FROM routing_rules WHERE tenant = $1',
        [tenant],
      );
      const { match, assign } = body;
      return view(
        await manager.save(
          manager.create(RoutingRule, {
            tenant,
            position: body.position ?? next,
            match: { ...match },
            assign: { ...assign },
          }),
        ),
      );
    });
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a rule (admin)' })
  replace(@Tenant() tenant: string, @Param('id', uuidParam()) id: string, @Body() body: RoutingRuleDto) {
    return this.dataSource.transaction(async (manager) => {
      const rule = await this.find(manager, tenant, id);
      await this.assertTeam(manager, tenant, body.assign.teamId);
      await manager.update(
        RoutingRule,
        { id },
        { position: body.position ?? rule.position, match: { ...body.match }, assign: { ...body.assign } },
      );
      return view(await manager.findOneByOrFail(RoutingRule, { id }));
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a rule (admin)' })
  async remove(@Tenant() tenant: string, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.find(this.dataSource.manager, tenant, id);
    await this.dataSource.getRepository(RoutingRule).delete({ id });
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
