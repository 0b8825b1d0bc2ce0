import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '@app/database';
import { conflict, notFound, Tenant, uuidParam } from '@app/http';
import { Agent } from '../agents/agent.entity';
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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post()
  @ApiOperation({ summary: 'Add a team (admin)' })
  async create(@Tenant() tenant: string, @Body() body: CreateTeamDto) {
    await this.assertLead(this.dataSource.manager, tenant, body.leadAgentId);
    try {
      return view(
        await this.dataSource
          .getRepository(Team)
          .save({ ...body, tenant, leadAgentId: body.leadAgentId ?? null }),
      );
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
  async show(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.find(this.dataSource.manager, tenant, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a team (admin)' })
  update(@Tenant() tenant: string, @Param('id', uuidParam()) id: string, @Body() body: UpdateTeamDto) {
    return this.dataSource.transaction(async (manager) => {
      await this.find(manager, tenant, id);
      await this.assertLead(manager, tenant, body.leadAgentId);
      await manager.update(Team, { id }, body);
      return view(await manager.findOneByOrFail(Team, { id }));
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a team; its agents stay, without a team (admin)' })
  async remove(@Tenant() tenant: string, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.find(this.dataSource.manager, tenant, id);
    await this.dataSource.getRepository(Team).delete({ id });
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
