import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An event waiting to leave the service. Written in the same transaction as the state change
 * it describes (R9), so a rolled-back change never publishes and a committed one always does.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['id'], { where: 'published_at IS NULL' })
export class OutboxMessage {
  /** bigserial: claim order. Same-ticket rows are inserted under the ticket's row lock, so id order is ticket order. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  eventId: string;

  /** Logical topic name; the relay applies the deployment's topic prefix. */
  @Column({ type: 'text' })
  topic: string;

  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ type: 'text' })
  tenant: string;

  /** W3C trace context of the transaction that wrote the row; the relay's send span continues it. */
  @Column({ type: 'text', nullable: true })
  traceparent: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt: Date | null;
}
