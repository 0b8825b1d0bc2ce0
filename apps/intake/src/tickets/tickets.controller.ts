import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Response } from 'express';
import { DataSource } from 'typeorm';
import { ApiError, CurrentPrincipal, type Principal, Roles, Tenant, uuidParam } from '@app/http';
import { AddMessageDto } from './dto/add-message.dto';
import { CreateTicketDto } from './dto/create-ticket.dto';
import { ListTicketsQuery } from './dto/list-tickets.query';
import { UpdateTicketDto } from './dto/update-ticket.dto';
import { CreateTicketHandler, ticketFromRequest } from './create-ticket.handler';
import { TicketChangesHandler } from './ticket-changes.handler';
import { TicketQueries } from './ticket-queries';
import { messageView, ticketView } from './ticket-view';
import { ConversationHandler } from '../conversations/conversation.handler';

@ApiTags('tickets')
@ApiBearerAuth()
@Controller('v1/tickets')
export class TicketsController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly createTicket: CreateTicketHandler,
    private readonly changes: TicketChangesHandler,
    private readonly queries: TicketQueries,
    private readonly conversations: ConversationHandler,
  ) {}

  @Post()
  @Roles('publisher', 'agent')
  @ApiOperation({ summary: 'Create a ticket (201), or return the one with the same externalId (200)' })
  @ApiCreatedResponse({ description: 'The new ticket' })
  @ApiOkResponse({ description: 'The ticket created earlier with this externalId' })
  async create(
    @Tenant() tenant: string,
    @Body() body: CreateTicketDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    const result = await this.dataSource.transaction((manager) =>
      this.createTicket.execute(manager, tenant, ticketFromRequest(body), { kind: 'http' }),
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
  @ApiParam({ name: 'id', format: 'uuid' })
  detail(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return this.queries.detail(tenant, id);
  }

  @Post(':id/messages')
  @HttpCode(201)
  @Roles('agent', 'publisher')
  @ApiOperation({
    summary: 'Add a customer message, an agent reply or an internal note',
    description:
      'A customer message on a solved ticket reopens it within REOPEN_WINDOW; on a closed ticket, or ' +
      'later, it opens a follow-up ticket, whose id is the `ticketId` of the answer. The publisher ' +
      'role may post customer messages only (403 `author_not_allowed` otherwise): an agent reply is ' +
      'mailed to the customer and counts as the SLA response.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  async addMessage(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
    @Body() body: AddMessageDto,
  ) {
    const { tenant } = principal;
    if (body.author !== 'customer' && principal.role === 'publisher') {
      throw new ApiError(HttpStatus.FORBIDDEN, 'author_not_allowed', 'The publisher role may not do this', [
        { field: 'author', message: 'the publisher role may post customer messages only' },
      ]);
    }
    if (body.author === 'customer') {
      const { agentId, internal, ...message } = body;
      if (agentId !== undefined || internal !== undefined) {
        throw new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
          {
            field: agentId !== undefined ? 'agentId' : 'internal',
            message: 'only agent messages take this field',
          },
        ]);
      }
      const received = await this.dataSource.transaction((manager) =>
        this.conversations.receiveOnTicket(manager, tenant, id, message, { kind: 'http' }),
      );
      return { ...messageView(received.message), outcome: received.outcome };
    }
    const message = await this.dataSource.transaction(async (manager) => {
      const ticket = await this.changes.lock(manager, tenant, id);
      return this.changes.addMessage(manager, ticket, body, { kind: 'http' });
    });
    return { ...messageView(message), outcome: 'appended' };
  }

  @Patch(':id')
  @Roles('agent')
  @ApiOperation({ summary: 'Change status, priority, tags, category or metadata' })
  @ApiParam({ name: 'id', format: 'uuid' })
  async update(
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
    @Body() body: UpdateTicketDto,
  ) {
    const ticket = await this.dataSource.transaction((manager) =>
      this.changes.update(manager, tenant, id, body, { kind: 'http' }),
    );
    return ticketView(ticket);
  }
}
