import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Response } from 'express';
import { DataSource } from 'typeorm';
import { Roles, Tenant, uuidParam } from '@app/http';
import { AddMessageDto } from './dto/add-message.dto';
import { CreateTicketDto } from './dto/create-ticket.dto';
import { ListTicketsQuery } from './dto/list-tickets.query';
import { UpdateTicketDto } from './dto/update-ticket.dto';
import { CreateTicketHandler } from './create-ticket.handler';
import { TicketChangesHandler } from './ticket-changes.handler';
import { TicketQueries } from './ticket-queries';
import { ticketView } from './ticket-view';

@ApiTags('tickets')
@ApiBearerAuth()
@Controller('v1/tickets')
export class TicketsController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly createTicket: CreateTicketHandler,
    private readonly changes: TicketChangesHandler,
    private readonly queries: TicketQueries,
  ) {}

  @Post()
  @Roles('publisher', 'agent')
  @ApiOperation({ summary: 'Create a ticket (201), or return the one with the same externalId (200)' })
  async create(
    @Tenant() tenant: string,
    @Body() body: CreateTicketDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    const result = await this.dataSource.transaction((manager) =>
      this.createTicket.execute(manager, tenant, body, { kind: 'http' }),
    );
    response.status(result.created ? 201 : 200);
    return ticketView(result.ticket);
  }

  @Get()
  @Roles('agent')
  @ApiOperation({ summary: 'List tickets, newest first, with cursor pagination' })
  list(@Tenant() tenant: string, @Query() query: ListTicketsQuery) {
    return this.queries.list(tenant, query);
  }

  @Get(':id')
  @Roles('agent')
  @ApiOperation({ summary: 'A ticket with its messages and full timeline' })
  detail(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return this.queries.detail(tenant, id);
  }

  @Post(':id/messages')
  @HttpCode(201)
  @Roles('agent', 'publisher')
  @ApiOperation({ summary: 'Add a customer message, an agent reply or an internal note' })
  async addMessage(
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
    @Body() body: AddMessageDto,
  ) {
    const message = await this.dataSource.transaction((manager) =>
      this.changes.addMessage(manager, tenant, id, body),
    );
    return {
      id: message.id,
      ticketId: id,
      author: message.author,
      agentId: message.agentId,
      internal: message.internal,
      createdAt: message.createdAt,
    };
  }

  @Patch(':id')
  @Roles('agent')
  @ApiOperation({ summary: 'Change status, priority, tags or category' })
  async update(
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateTicketDto,
  ) {
    const ticket = await this.dataSource.transaction((manager) =>
      this.changes.update(manager, tenant, id, body),
    );
    return ticketView(ticket);
  }
}
