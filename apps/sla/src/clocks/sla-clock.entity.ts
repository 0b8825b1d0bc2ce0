import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type SlaMetric } from '@app/contracts';

export type ClockState = 'running' | 'paused' | 'met' | 'breached';

/**
 * The source of truth for a deadline. BullMQ only speeds the breach up; `epoch` changes whenever
 * the deadline does, so a timer armed for an older epoch recognises itself as stale (R4).
 */
@Entity({ name: 'sla_clocks' })
export class SlaClock {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text' })
  metric: SlaMetric;

  @Column({ type: 'uuid' })
  policyId: string;

  @Column({ type: 'int' })
  policyVersion: number;

  @Column({ type: 'text' })
  target: string;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz' })
  dueAt: Date;

  @Column({ type: 'text' })
  state: ClockState;

  @Column({ type: 'int', default: 0 })
  epoch: number;

  @Column({ type: 'int', default: 0 })
  pausedSeconds: number;

  @Column({ type: 'uuid', nullable: true })
  assigneeId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  metAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  breachedAt: Date | null;

  @Column({ type: 'text' })
  explanation: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
