import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, type Principal, Roles, Tenant, uuidParam } from '@app/http';
import { hostOfUrl } from '../webhooks/webhook-http';
import { Delivery } from './delivery.entity';

/**
 * Where a delivery went. A webhook or Slack URL can be a credential (an incoming-webhook URL is all
 * it takes to post to that channel), so only admins see it whole; agents see its host, and the
 * subscription by `webhookId`.
 */
function targetFor(principal: Principal, delivery: Delivery): string | null {
  if (delivery.channel === 'email' || principal.role === 'admin') return delivery.toAddress;
  return hostOfUrl(delivery.toAddress);
}

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @Roles('agent')
  @ApiQuery({ name: 'ticketId', required: false, description: "Only this ticket's deliveries" })
  @ApiOperation({
    summary:
      'Every notification the ledger holds, newest first (at most 200), with its state and attempts. Agents see webhook and Slack targets as their host and webhookId, never the URL',
  })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Tenant() tenant: string,
    @Query('ticketId', uuidParam({ name: 'ticketId', optional: true })) ticketId?: string,
  ) {
    const deliveries = await this.dataSource.getRepository(Delivery).find({
      where: ticketId ? { tenant, ticketId } : { tenant },
      order: { createdAt: 'DESC' },
      take: 200,
    });
    return {
      items: deliveries.map((delivery) => ({
        id: delivery.id,
        ticketId: delivery.ticketId,
        reason: delivery.reason,
        epoch: delivery.epoch,
        channel: delivery.channel,
        recipient: delivery.recipient,
        to: targetFor(principal, delivery),
        webhookId: delivery.webhookId,
        locale: delivery.locale,
        subject: delivery.subject,
        state: delivery.state,
        attempts: delivery.attempts,
        holdUntil: delivery.holdUntil,
        sentWith: delivery.sentWith,
        lastError: delivery.lastError,
        createdAt: delivery.createdAt,
        sentAt: delivery.sentAt,
      })),
    };
  }
}
