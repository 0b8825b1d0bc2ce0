import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type SlaMetric } from '@app/contracts';

export type ClockState = 'running' | 'paused' | 'met' | 'breached';

const BIGINT = {
  type: 'bigint',
  transformer: {
    to: (value: unknown) => value,
    from: (value: string | null) => (value === null ? null : Number(value)),
  },
} as const;

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

  /** The target in milliseconds of business time. */
  @Column(BIGINT)
  targetMs: number;

  /** The calendar business time is counted on; null runs around the clock. */
  @Column({ type: 'uuid', nullable: true })
  calendarId: string | null;

  /** Business time counted before `runningSince`: what earlier running stretches used up. */
  @Column({ ...BIGINT, default: 0 })
  elapsedMs: number;

  /** Since when the clock counts; null while paused or stopped. */
  @Column({ type: 'timestamptz', nullable: true })
  runningSince: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  pausedSince: Date | null;

  /** Warning fractions already announced, so a re-armed ladder never warns twice. */
  @Column({ type: 'float8', array: true, default: () => "'{}'" })
  warned: number[];

  /** How many escalation steps have fired after the breach. */
  @Column({ type: 'int', default: 0 })
  escalatedSteps: number;

  /** When the ticket was solved or closed: a breached clock escalates no further. */
  @Column({ type: 'timestamptz', nullable: true })
  stoppedAt: Date | null;

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
