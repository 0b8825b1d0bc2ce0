import { Controller, Get, HttpCode, HttpStatus, Logger, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  actorOf,
  conflict,
  CurrentPrincipal,
  notFound,
  type Principal,
  Roles,
  Tenant,
  uuidParam,
} from '@app/http';
import { AuditLog } from '@app/audit';
import { hostOfUrl } from '../webhooks/webhook-http';
import { DeliveryLedger, RESENDABLE } from './delivery-ledger';
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

function deliveryView(principal: Principal, delivery: Delivery) {
  return {
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
    resends: delivery.resendCount,
    resentAt: delivery.resentAt,
    resentBy: delivery.resentBy,
  };
}

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  private readonly logger = new Logger(DeliveriesController.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: DeliveryLedger,
    private readonly audit: AuditLog,
  ) {}

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
    return { items: deliveries.map((delivery) => deliveryView(principal, delivery)) };
  }

  @Post(':id/resend')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Send a failed or unconfirmed delivery again, deliberately (admin)',
    description:
      'The row goes back to `pending` and gets a new round of NOTIFICATIONS_SEND_ATTEMPTS (webhooks: ' +
      'NOTIFICATIONS_WEBHOOK_ATTEMPTS) attempts, sent as usual with the same id, so the same Message-ID ' +
      'or Idempotency-Key. An `unconfirmed` email may already have arrived: the recipient can get it ' +
      'twice, which is what resending one means. The row records the resend (`resends`, `resentAt`, ' +
      '`resentBy`), and so does the log.',
  })
  @ApiAcceptedResponse({ description: 'The delivery, pending again' })
  @ApiNotFoundResponse({ description: '`delivery_not_found`: no such delivery for this tenant' })
  @ApiConflictResponse({
    description: '`delivery_not_resendable`: only a failed or unconfirmed delivery is resent',
  })
  async resend(
    @CurrentPrincipal() principal: Principal,
    @Tenant() tenant: string,
    @Param('id', uuidParam()) id: string,
  ) {
    const actor = actorOf(principal);
    const result = await this.dataSource.transaction(async (manager) => {
      const outcome = await this.ledger.resend(manager, tenant, id, actor);
      if (outcome.outcome === 'resent') {
        await this.audit.record(manager, principal, {
          entityType: 'delivery',
          entityId: id,
          action: 'resent',
          before: { state: outcome.previousState, resends: outcome.delivery.resendCount - 1 },
          after: { state: outcome.delivery.state, resends: outcome.delivery.resendCount },
        });
      }
      return outcome;
    });
    if (result.outcome === 'not_found') throw notFound('delivery_not_found', `No delivery ${id}`);
    if (result.outcome === 'not_resendable')
      throw conflict(
        'delivery_not_resendable',
        `The delivery is ${result.state}; only ${RESENDABLE.join(' or ')} deliveries are resent`,
      );
    const { delivery, previousState } = result;
    this.logger.log({
      msg: 'Delivery resent by an operator',
      deliveryId: delivery.id,
      ticketId: delivery.ticketId,
      channel: delivery.channel,
      previousState,
      resends: delivery.resendCount,
      actor,
    });
    return deliveryView(principal, delivery);
  }
}
