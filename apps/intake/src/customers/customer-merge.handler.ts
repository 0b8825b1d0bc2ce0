import { HttpStatus, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { ApiError, notFound } from '@app/http';
import { type ChangeCause, eventMeta, OutboxWriter } from '@app/messaging';
import { INTAKE_SOURCE } from '../tickets/ticket-event.emitter';
import { TimelineWriter } from '../timeline/timeline.writer';
import { Customer } from './customer.entity';

export interface MergeResult {
  targetId: string;
  movedTicketIds: string[];
  movedIdentityCount: number;
}

/**
 * Two customer records turned out to be one person. The source's identities and tickets move to
 * the target; the source stays as a pointer (`mergedInto`) so links to it still lead somewhere.
 */
@Injectable()
export class CustomerMergeHandler {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly timeline: TimelineWriter,
  ) {}

  async merge(
    manager: EntityManager,
    tenant: string,
    targetId: string,
    sourceId: string,
    mergedBy: string,
    cause: ChangeCause,
  ): Promise<MergeResult> {
    if (targetId === sourceId) {
      throw new ApiError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'merge_into_self',
        'A customer cannot be merged into itself',
      );
    }
    // Locked in id order, so two opposite merges cannot deadlock; the second sees the first's result.
    const [first, second] = [targetId, sourceId].sort();
    const lockedFirst = await this.lockCustomer(manager, tenant, first);
    const lockedSecond = await this.lockCustomer(manager, tenant, second);
    const target = lockedFirst.id === targetId ? lockedFirst : lockedSecond;
    const source = lockedFirst.id === sourceId ? lockedFirst : lockedSecond;
    for (const customer of [target, source]) {
      if (customer.mergedInto) {
        throw new ApiError(
          HttpStatus.CONFLICT,
          'customer_merged',
          `Customer ${customer.id} was already merged into ${customer.mergedInto}`,
        );
      }
    }

    const identities: Array<{ id: string }> = await manager.query(
      `WITH moved AS (UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2 RETURNING id)
       SELECT id FROM moved`,
      [targetId, sourceId],
    );
    const tickets: Array<{ id: string }> = await manager.query(
      `WITH moved AS (UPDATE tickets SET customer_id = $1, updated_at = now() WHERE customer_id = $2 RETURNING id, created_at)
       SELECT id FROM moved ORDER BY created_at, id`,
      [targetId, sourceId],
    );
    await manager.update(
      Customer,
      { id: targetId },
      { name: target.name ?? source.name, locale: target.locale ?? source.locale },
    );
    await manager.update(Customer, { id: sourceId }, { mergedInto: targetId });

    const movedTicketIds = tickets.map((ticket) => ticket.id);
    const event = buildEvent(
      'customer.merged',
      {
        targetCustomerId: targetId,
        sourceCustomerId: sourceId,
        movedTicketIds,
        movedIdentityCount: identities.length,
        mergedBy,
        mergedAt: new Date().toISOString(),
      },
      eventMeta(INTAKE_SOURCE, targetId, tenant, cause),
    );
    await this.outbox.append(manager, event);
    for (const ticketId of movedTicketIds) await this.timeline.record(manager, ticketId, event);
    return { targetId, movedTicketIds, movedIdentityCount: identities.length };
  }

  private async lockCustomer(manager: EntityManager, tenant: string, id: string): Promise<Customer> {
    const customer = await manager.findOne(Customer, {
      where: { id, tenant },
      lock: { mode: 'pessimistic_write' },
    });
    if (!customer) throw notFound('customer_not_found', `No customer ${id}`);
    return customer;
  }
}
