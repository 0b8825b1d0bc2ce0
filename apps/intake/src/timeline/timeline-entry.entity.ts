import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Every event that touched a ticket, from any service. Details hold ids and facts, never personal data. */
@Entity({ name: 'timeline_entries' })
export class TimelineEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text' })
  eventId: string;

  @Column({ type: 'text' })
  eventType: string;

  @Column({ type: 'text' })
  source: string;

  @Column({ type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;
}
