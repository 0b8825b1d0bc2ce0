import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * Who to write to about a ticket, projected from intake's and routing's events. It holds personal
 * data (addresses, names) because sending mail needs it; nothing here is ever logged (S4).
 */
@Entity({ name: 'ticket_contacts' })
export class TicketContact {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text', nullable: true })
  reference: string | null;

  @Column({ type: 'text', nullable: true })
  subject: string | null;

  @Column({ type: 'text', nullable: true })
  language: string | null;

  @Column({ type: 'text', nullable: true })
  customerEmail: string | null;

  @Column({ type: 'text', nullable: true })
  customerName: string | null;

  @Column({ type: 'text', nullable: true })
  customerLocale: string | null;

  @Column({ type: 'uuid', nullable: true })
  assigneeId: string | null;

  @Column({ type: 'text', nullable: true })
  assigneeName: string | null;

  @Column({ type: 'text', nullable: true })
  assigneeEmail: string | null;

  @Column({ type: 'text', nullable: true })
  status: string | null;

  @Column({ type: 'text', nullable: true })
  channel: string | null;

  /** Counts status changes: follow-ups and surveys scheduled under an older epoch are stale. */
  @Column({ type: 'int', default: 0 })
  statusEpoch: number;

  /** An IANA zone from the ticket's metadata (`timeZone`), to phrase times the customer's way. */
  @Column({ type: 'text', nullable: true })
  customerTimeZone: string | null;

  @Column({ type: 'text', nullable: true })
  teamLeadName: string | null;

  @Column({ type: 'text', nullable: true })
  teamLeadEmail: string | null;

  /** From SLA's first-response clock: the acknowledgment promises an answer by then. */
  @Column({ type: 'timestamptz', nullable: true })
  firstResponseDueAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
