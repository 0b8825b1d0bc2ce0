import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * - `acknowledgment`: the customer's receipt, held a moment for SLA's promised response time;
 * - `survey`: after a solve, "we hope this is resolved" with the CSAT link;
 * - `auto_close`: a solved ticket the customer did not answer is closed;
 * - `pending_reminder`: a pending ticket waiting on the customer gets a reminder;
 * - `auto_solve`: and is solved when the reminder goes unanswered too.
 */
export type FollowUpKind = 'acknowledgment' | 'survey' | 'auto_close' | 'pending_reminder' | 'auto_solve';

/** The follow-ups a ticket's status schedules, and a later status change cancels. */
export const STATUS_FOLLOW_UPS: FollowUpKind[] = ['survey', 'auto_close', 'pending_reminder', 'auto_solve'];
export type FollowUpState = 'scheduled' | 'done' | 'cancelled';

/**
 * A follow-up and what became of it; its deadline is also a timer (`FollowUpTimers`), armed with it.
 * `epoch` is the ticket's status epoch when it was scheduled: any later status change makes it stale.
 */
@Entity({ name: 'follow_ups' })
export class FollowUp {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text' })
  kind: FollowUpKind;

  @Column({ type: 'int' })
  epoch: number;

  @Column({ type: 'timestamptz' })
  dueAt: Date;

  @Column({ type: 'text' })
  state: FollowUpState;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  doneAt: Date | null;
}
