import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { type Channel, type Priority, type TicketMetadata, type TicketStatus } from '@app/contracts';

export type LanguageSource = 'customer_locale' | 'detected' | 'default';

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

  /** The sending system's attributes, e.g. a customer tier that SLA policies match on. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: TicketMetadata;

  @Column({ type: 'text', nullable: true })
  language: string | null;

  /** Where `language` came from: the customer's locale, detection on the text, or the default. */
  @Column({ type: 'text', nullable: true })
  languageSource: LanguageSource | null;

  @Column({ type: 'uuid' })
  customerId: string;

  /** The sender's conversation id (chat session, social thread) this ticket collects. */
  @Column({ type: 'text', nullable: true })
  threadRef: string | null;

  /** The closed ticket this one continues, when the customer wrote again too late to reopen it. */
  @Column({ type: 'uuid', nullable: true })
  followUpOf: string | null;

  /** Why a chatbot handed the conversation to a human. */
  @Column({ type: 'text', nullable: true })
  escalationReason: string | null;

  @Column({ type: 'uuid', nullable: true })
  assigneeId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  firstResponseAt: Date | null;

  /** Since when a customer message waits for a public agent answer; null when none waits. */
  @Column({ type: 'timestamptz', nullable: true })
  awaitingReplySince: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastResponseAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  solvedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  /** Sequence number of the last event emitted for this ticket. */
  @Column({ type: 'int', default: 0 })
  lastSequence: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
