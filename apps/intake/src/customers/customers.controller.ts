import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound, Roles, Tenant, uuidParam } from '@app/http';
import { Ticket } from '../tickets/ticket.entity';
import { ticketView } from '../tickets/ticket-view';
import { Customer } from './customer.entity';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('v1/customers')
export class CustomersController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get(':id')
  @Roles('agent')
  @ApiOperation({ summary: 'One customer across channels: identities and every ticket' })
  async profile(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    const customer = await this.dataSource
      .getRepository(Customer)
      .findOne({ where: { id, tenant }, relations: { identities: true } });
    if (!customer) throw notFound('customer_not_found', `No customer ${id}`);
    const tickets = await this.dataSource
      .getRepository(Ticket)
      .find({ where: { tenant, customerId: id }, order: { createdAt: 'DESC' } });
    return {
      id: customer.id,
      name: customer.name,
      locale: customer.locale,
      identities: customer.identities.map(({ kind, value }) => ({ kind, value })),
      tickets: tickets.map(ticketView),
      createdAt: customer.createdAt,
    };
  }
}
