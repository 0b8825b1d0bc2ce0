import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { isUniqueViolation } from '@app/database';
import { conflict, CurrentPrincipal, notFound, type Principal, Tenant, uuidParam } from '@app/http';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { AssignmentService } from '../assignment/assignment.service';
import { AuditLog } from '@app/audit';
import { ROUTING_SOURCE } from '../routing.tokens';
import { Team } from '../teams/team.entity';
import { Agent } from './agent.entity';
import { CreateAgentDto, UpdateAgentDto } from './dto/agent.dto';

const view = ({
  id,
  name,
  email,
  skills,
  capacity,
  status,
  teamId,
  activeCount,
  lastAssignedAt,
  createdAt,
  updatedAt,
}: Agent) => ({
  id,
  name,
  email,
  skills,
  capacity,
  status,
  teamId,
  activeCount,
  lastAssignedAt,
  createdAt,
  updatedAt,
});

@ApiTags('agents')
@ApiBearerAuth()
@Controller('v1/agents')
export class AgentsController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly assignments: AssignmentService,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxWriter,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Add an agent (admin)' })
  @ApiCreatedResponse({ description: 'The new agent' })
  @ApiNotFoundResponse({ description: '`team_not_found`: no team has this teamId' })
  @ApiConflictResponse({ description: '`agent_exists`: an agent with this email exists' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateAgentDto) {
    try {
      return await this.insert(principal, body);
    } catch (error) {
      // Two concurrent creations with one email: the unique index decides, the loser gets a 409.
      if (isUniqueViolation(error)) throw conflict('agent_exists', 'An agent with this email exists');
      throw error;
    }
  }

  private insert(principal: Principal, body: CreateAgentDto) {
    const { tenant } = principal;
    return this.dataSource.transaction(async (manager) => {
      await this.assertTeam(manager, tenant, body.teamId);
      if (await manager.findOneBy(Agent, { tenant, email: body.email }))
        throw conflict('agent_exists', 'An agent with this email exists');
      const agent = await manager.save(
        manager.create(Agent, { ...body, tenant, teamId: body.teamId ?? null }),
      );
      const created = view(await manager.findOneByOrFail(Agent, { id: agent.id }));
      await this.audit.record(manager, principal, {
        entityType: 'agent',
        entityId: agent.id,
        action: 'created',
        before: null,
        after: created,
      });
      await this.announce(manager, agent, false);
      if (agent.status === 'online')
        await this.assignments.drainForAgent(manager, agent.id, { kind: 'http' });
      return view(await manager.findOneByOrFail(Agent, { id: agent.id }));
    });
  }

  @Get()
  @ApiOperation({ summary: 'List agents (admin)' })
  async list(@Tenant() tenant: string) {
    const agents = await this.dataSource
      .getRepository(Agent)
      .find({ where: { tenant }, order: { name: 'ASC' } });
    return agents.map(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One agent (admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async show(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return view(await this.find(this.dataSource.manager, tenant, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change an agent (admin)',
    description:
      'Coming online or gaining capacity takes queued tickets at once; going offline hands the ' +
      'tickets the agent has not answered back to routing.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateAgentDto,
  ) {
    return this.dataSource.transaction(async (manager) => {
      const agent = await this.find(manager, principal.tenant, id, true);
      await this.assertTeam(manager, principal.tenant, body.teamId);
      await manager.update(Agent, { id }, body);
      const updated = await manager.findOneByOrFail(Agent, { id });
      await this.audit.record(manager, principal, {
        entityType: 'agent',
        entityId: id,
        action: 'updated',
        before: view(agent),
        after: view(updated),
      });
      await this.announce(manager, updated, false);
      const cause = { kind: 'http' } as const;
      if (updated.status === 'offline' && agent.status !== 'offline') {
        await this.assignments.releaseAgent(manager, id, cause);
      }
      const moreRoom =
        updated.status === 'online' &&
        (agent.status !== 'online' ||
          updated.capacity > agent.capacity ||
          updated.teamId !== agent.teamId ||
          updated.skills.some((skill) => !agent.skills.includes(skill)));
      if (moreRoom) await this.assignments.drainForAgent(manager, id, cause);
      // Re-read: releasing and draining change the agent's active count.
      return view(await manager.findOneByOrFail(Agent, { id }));
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an agent with no open assignments (admin)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiConflictResponse({ description: '`agent_has_assignments`: the agent still has open tickets' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const agent = await this.find(manager, principal.tenant, id, true);
      if (agent.activeCount > 0)
        throw conflict('agent_has_assignments', 'Reassign or solve the agent’s open tickets first');
      await manager.query(`DELETE FROM assignments WHERE agent_id = $1 AND state = 'released'`, [id]);
      await manager.delete(Agent, { id });
      await this.audit.record(manager, principal, {
        entityType: 'agent',
        entityId: id,
        action: 'deleted',
        before: view(agent),
        after: null,
      });
      await this.announce(manager, agent, true);
    });
  }

  /** Other services keep a directory of agents (notifications reaches `agent:<id>` through it). */
  private announce(manager: EntityManager, agent: Agent, removed: boolean): Promise<void> {
    return this.outbox.append(
      manager,
      buildEvent(
        'agent.changed',
        {
          agentId: agent.id,
          name: agent.name,
          email: agent.email,
          teamId: agent.teamId,
          status: agent.status,
          removed,
          changedAt: new Date().toISOString(),
        },
        eventMeta(ROUTING_SOURCE, agent.id, agent.tenant, { kind: 'http' }),
      ),
    );
  }

  private async find(manager: EntityManager, tenant: string, id: string, lock = false): Promise<Agent> {
    const agent = await manager.findOne(Agent, {
      where: { id, tenant },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!agent) throw notFound('agent_not_found', `No agent ${id}`);
    return agent;
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
