import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The inbox: one row per event a consumer has applied, written in the transaction of the effect,
 * so a redelivered event finds its row and does nothing (R2). CloudEvents ids are unique per source,
 * and one tenant's source never answers for another's.
 */
@Entity({ name: 'processed_events' })
export class ProcessedEvent {
  @PrimaryColumn({ type: 'text' })
  consumer: string;

  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'text' })
  source: string;

  @PrimaryColumn({ type: 'text' })
  eventId: string;

  @Column({ type: 'text' })
  eventType: string;

  @CreateDateColumn({ type: 'timestamptz' })
  processedAt: Date;
}
