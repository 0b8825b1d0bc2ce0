import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import {
  type Channel,
  type MatchableTicket,
  type Priority,
  type TicketMetadata,
  type TicketStatus,
} from '@app/contracts';

/** What SLA remembers of a ticket, from intake's events: enough to match policies again. */
@Entity({ name: 'sla_tickets' })
export class SlaTicket implements MatchableTicket {
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

  @Column({ type: 'text' })
  status: TicketStatus;

  /** The assignee's team, for reports per team. */
  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  /** When intake opened the ticket: a what-if replay of a ticket without a clock starts here. */
  @Column({ type: 'timestamptz' })
  openedAt: Date;

  /** The first public agent reply, the first response a replay measures when there was no clock. */
  @Column({ type: 'timestamptz', nullable: true })
  firstRepliedAt: Date | null;

  /** When it was solved or closed; cleared when it is reopened. */
  @Column({ type: 'timestamptz', nullable: true })
  solvedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
