import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsUUID } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { CurrentPrincipal, notFound, type Principal, Roles, Tenant, uuidParam } from '@app/http';
import { Ticket } from '../tickets/ticket.entity';
import { ticketView } from '../tickets/ticket-view';
import { CustomerMergeHandler } from './customer-merge.handler';
import { Customer } from './customer.entity';

export class MergeCustomerDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The customer whose identities and tickets move into this one',
  })
  @IsUUID()
  sourceCustomerId: string;
}

@ApiTags('customers')
@ApiBearerAuth()
@Controller('v1/customers')
export class CustomersController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly merges: CustomerMergeHandler,
  ) {}

  @Get(':id')
  @Roles('agent')
  @ApiOperation({
    summary: 'One customer across channels: identities and every ticket',
    description: 'A merged customer answers with `mergedInto` and nothing else of its own.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  profile(@Tenant() tenant: string, @Param('id', uuidParam()) id: string) {
    return this.profileOf(this.dataSource.manager, tenant, id);
  }

  @Post(':id/merge')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary: 'Merge another customer into this one',
    description: 'Moves every identity and ticket of `sourceCustomerId` here and emits `customer.merged`.',
  })
  @ApiOkResponse({ description: 'The merged customer’s profile' })
  @ApiUnprocessableEntityResponse({ description: '`merge_into_self`: sourceCustomerId is this customer' })
  @ApiParam({ name: 'id', format: 'uuid' })
  merge(
    @Tenant() tenant: string,
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam()) id: string,
    @Body() body: MergeCustomerDto,
  ) {
    return this.dataSource.transaction(async (manager) => {
      await this.merges.merge(manager, tenant, id, body.sourceCustomerId, `api-key:${principal.keyId}`, {
        kind: 'http',
      });
      return this.profileOf(manager, tenant, id);
    });
  }

  private async profileOf(manager: EntityManager, tenant: string, id: string) {
    const customer = await manager
      .getRepository(Customer)
      .findOne({ where: { id, tenant }, relations: { identities: true } });
    if (!customer) throw notFound('customer_not_found', `No customer ${id}`);
    const tickets = await manager
      .getRepository(Ticket)
      .find({ where: { tenant, customerId: id }, order: { createdAt: 'DESC', id: 'DESC' } });
    return {
      id: customer.id,
      name: customer.name,
      locale: customer.locale,
      mergedInto: customer.mergedInto,
      identities: customer.identities
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map(({ kind, value }) => ({ kind, value })),
      tickets: tickets.map(ticketView),
      createdAt: customer.createdAt,
    };
  }
}
