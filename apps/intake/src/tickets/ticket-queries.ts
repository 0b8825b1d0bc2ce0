import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodePageCursor, encodePageCursor, notFound } from '@app/http';
import { TimelineEntry } from '../timeline/timeline-entry.entity';
import { type ListTicketsQuery } from './dto/list-tickets.query';
import { Message } from './message.entity';
import { Ticket } from './ticket.entity';
import { messageView, ticketView } from './ticket-view';

@Injectable()
export class TicketQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async detail(tenant: string, id: string) {
    const ticket = await this.dataSource.getRepository(Ticket).findOneBy({ id, tenant });
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${id}`);
    const [messages, timeline] = await Promise.all([
      this.dataSource
        .getRepository(Message)
        .find({ where: { ticketId: id, tenant }, order: { createdAt: 'ASC', id: 'ASC' } }),
      this.dataSource
        .getRepository(TimelineEntry)
        .find({ where: { ticketId: id, tenant }, order: { occurredAt: 'ASC', id: 'ASC' } }),
    ]);
    return {
      ...ticketView(ticket),
      messages: messages.map(messageView),
      timeline: timeline.map(({ eventId, eventType, source, occurredAt, details }) => ({
        eventId,
        eventType,
        source,
        occurredAt,
        details,
      })),
    };
  }

  /** Newest first, with a keyset cursor so pages stay stable while tickets keep arriving. */
  async list(tenant: string, query: ListTicketsQuery) {
    const limit = query.limit ?? 25;
    const builder = this.dataSource
      .getRepository(Ticket)
      .createQueryBuilder('t')
      .where('t.tenant = :tenant', { tenant })
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .take(limit + 1);
    if (query.status) builder.andWhere('t.status = :status', { status: query.status });
    if (query.assigneeId) builder.andWhere('t.assignee_id = :assigneeId', { assigneeId: query.assigneeId });
    if (query.customerId) builder.andWhere('t.customer_id = :customerId', { customerId: query.customerId });
    if (query.priority) builder.andWhere('t.priority = :priority', { priority: query.priority });
    if (query.channel) builder.andWhere('t.channel = :channel', { channel: query.channel });
    if (query.tag) builder.andWhere('t.tags @> ARRAY[:tag]::text[]', { tag: query.tag });
    if (query.cursor) {
      const cursor = decodePageCursor(query.cursor);
      builder.andWhere('(t.created_at, t.id) < (:createdAt, :id)', cursor);
    }
    const rows = await builder.getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(ticketView),
      nextCursor: rows.length > limit && last ? encodePageCursor(last) : null,
    };
  }
}
