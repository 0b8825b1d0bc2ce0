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
import { CreateTicketHandler, ticketFromRequest } from './create-ticket.handler';
import { TicketChangesHandler } from './ticket-changes.handler';
import { TicketQueries } from './ticket-queries';
import { messageView, ticketView } from './ticket-view';
import { Message } from './message.entity';
import { ConversationHandler } from '../conversations/conversation.handler';
import { CustomerResolver } from '../customers/customer-resolver';

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
    private readonly customers: CustomerResolver,
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
      'later, it opens a follow-up ticket, whose id is the `ticketId` of the answer.',
  })
  async addMessage(
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
    @Body() body: AddMessageDto,
  ) {
    return this.dataSource.transaction(async (manager) => {
      if (body.author === 'customer') {
        const ticket = await this.changes.lock(manager, tenant, id);
        const received = await this.conversations.receive(
          manager,
          tenant,
          { ticketId: id, channel: body.channel ?? ticket.channel, customer: {}, body: body.body },
          { kind: 'http' },
          await this.customers.byId(manager, ticket.customerId),
        );
        const message = await manager.findOneByOrFail(Message, { id: received.messageId });
        return { ...messageView(message), outcome: received.outcome };
      }
      const ticket = await this.changes.lock(manager, tenant, id);
      const message = await this.changes.addMessage(manager, ticket, body, { kind: 'http' });
      return { ...messageView(message), outcome: 'appended' };
    });
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
      this.changes.update(manager, tenant, id, body, { kind: 'http' }),
    );
    return ticketView(ticket);
  }
}
