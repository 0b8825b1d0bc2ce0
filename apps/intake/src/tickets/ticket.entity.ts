import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { type Channel, type Priority, type TicketStatus } from '@app/contracts';

@Entity({ name: 'tickets' })
export class Ticket {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  /** Human-readable, e.g. TCK-000042: what customers quote and what mail subjects carry. */
  @Column({ type: 'text' })
  reference: string;

  @Column({ type: 'text', nullable: true })
  externalId: string | null;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ type: 'text' })
  status: TicketStatus;

  @Column({ type: 'text' })
  priority: Priority;

  @Column({ type: 'text' })
  subject: string;

  @Column({ type: 'text', nullable: true })
  category: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'text', nullable: true })
  language: string | null;

  @Column({ type: 'uuid' })
  customerId: string;

  @Column({ type: 'uuid', nullable: true })
  assigneeId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  firstResponseAt: Date | null;

  /** Sequence number of the last event emitted for this ticket. */
  @Column({ type: 'int', default: 0 })
  lastSequence: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
