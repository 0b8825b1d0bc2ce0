import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '@app/database';
import { conflict, CurrentPrincipal, notFound, type Principal, Tenant, uuidParam } from '@app/http';
import { Agent } from '../agents/agent.entity';
import { AuditLog } from '@app/audit';
import { CreateTeamDto, UpdateTeamDto } from './dto/team.dto';
import { Team } from './team.entity';

const view = ({ id, name, leadAgentId, skills, createdAt, updatedAt }: Team) => ({
  id,
  name,
  leadAgentId,
  skills,
  createdAt,
  updatedAt,
});

@ApiTags('teams')
@ApiBearerAuth()
@Controller('v1/teams')
export class TeamsController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Add a team (admin)' })
  @ApiCreatedResponse({ description: 'The new team' })
  @ApiNotFoundResponse({ description: '`agent_not_found`: no agent has this leadAgentId' })
  @ApiConflictResponse({ description: '`team_exists`: a team with this name exists' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTeamDto) {
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.assertLead(manager, principal.tenant, body.leadAgentId);
        const team = view(
          await manager.save(
            manager.create(Team, {
              ...body,
              tenant: principal.tenant,
              leadAgentId: body.leadAgentId ?? null,
            }),
          ),
        );
        await this.audit.record(manager, principal, {
          entityType: 'team',
          entityId: team.id,
          action: 'created',
          before: null,
          after: team,
        });
        return team;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('team_exists', 'A team with this name exists');
      throw error;
    }
  }

  @Get()
  @ApiOperation({ summary: 'List teams (admin)' })
  async list(@Tenant() tenant: string) {
    return (
      await this.dataSource.getRepository(Team).find({ where: { tenant }, order: { name: 'ASC' } })
    ).map(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One team (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async show(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.find(this.dataSource.manager, tenant, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a team (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateTeamDto,
  ) {
    return this.dataSource.transaction(async (manager) => {
      const before = await this.find(manager, principal.tenant, id);
      await this.assertLead(manager, principal.tenant, body.leadAgentId);
      await manager.update(Team, { id }, body);
      const after = view(await manager.findOneByOrFail(Team, { id }));
      await this.audit.record(manager, principal, {
        entityType: 'team',
        entityId: id,
        action: 'updated',
        before: view(before),
        after,
      });
      return after;
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a team; its agents stay, without a team (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const before = await this.find(manager, principal.tenant, id);
      await manager.delete(Team, { id });
      await this.audit.record(manager, principal, {
        entityType: 'team',
        entityId: id,
        action: 'deleted',
        before: view(before),
        after: null,
      });
    });
  }

  private async find(manager: EntityManager, tenant: string, id: string): Promise<Team> {
    const team = await manager.findOneBy(Team, { id, tenant });
    if (!team) throw notFound('team_not_found', `No team ${id}`);
    return team;
  }

  private async assertLead(
    manager: EntityManager,
    tenant: string,
    agentId: string | undefined,
  ): Promise<void> {
    if (agentId && !(await manager.findOneBy(Agent, { id: agentId, tenant })))
      throw notFound('agent_not_found', `No agent ${agentId}`);
  }
}
