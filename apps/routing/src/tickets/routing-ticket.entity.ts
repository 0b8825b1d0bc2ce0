import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { type Channel, type Priority, type TicketMetadata, type TicketStatus } from '@app/contracts';
import { type RoutableTicket } from '../assignment/rule-matcher';

/**
 * Routing's own view of a ticket, kept from intake's events: enough to route it again when it is
 * reopened, when its assignee does not answer, or when its assignee goes offline.
 */
@Entity({ name: 'routing_tickets' })
export class RoutingTicket implements RoutableTicket {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ type: 'text' })
  priority: Priority;

  @Column({ type: 'text', nullable: true })
  category: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: TicketMetadata;

  @Column({ type: 'text', nullable: true })
  language: string | null;

  @Column({ type: 'text' })
  status: TicketStatus;

  @Column({ type: 'timestamptz', nullable: true })
  firstResponseAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
