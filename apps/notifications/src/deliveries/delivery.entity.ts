import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type DeliveryChannel } from '../channels/channel';
import { type TemplateKind } from '../templates/template-catalog';

/**
 * `sending` is committed before a message leaves: a row found still `sending` after its process died
 * may or may not have reached the recipient, and becomes `unconfirmed` rather than risk a second copy.
 */
export type DeliveryState = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped' | 'unconfirmed';
/** A notice kept for the ticket's next assignee: its template and the values it is rendered with. */
export interface AwaitedNotice {
  kind: TemplateKind;
  values: Record<string, string>;
}

export type DeliveryRecipient = 'customer' | 'assignee' | 'team_lead' | 'agent' | 'subscriber';

/**
 * The ledger (R5): one row per (tenant, ticket, reason, epoch), claimed before anything is sent.
 * Its id is the idempotency key, carried as the email's Message-ID. The message is rendered once,
 * at claim time, so every retry sends exactly the same thing.
 */
@Entity({ name: 'deliveries' })
export class Delivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'uuid' })
  ticketId: string;

  /** Why this message exists, e.g. `ticket.acknowledgment` or `sla.breached.first_response`. */
  @Column({ type: 'text' })
  reason: string;

  /** Bumped by whatever makes the same reason legitimately due again (a reopen, a new SLA epoch). */
  @Column({ type: 'int' })
  epoch: number;

  @Column({ type: 'text' })
  channel: DeliveryChannel;

  /** The subscription a webhook or Slack delivery belongs to; its secret signs the request. */
  @Column({ type: 'uuid', nullable: true })
  webhookId: string | null;

  @Column({ type: 'text' })
  recipient: DeliveryRecipient;

  /** An email address, or the URL of a webhook or Slack delivery. */
  @Column({ type: 'text', nullable: true })
  toAddress: string | null;

  @Column({ type: 'text' })
  locale: string;

  @Column({ type: 'text' })
  subject: string;

  /** The text of an email or Slack message; the JSON document of a webhook. */
  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'text' })
  state: DeliveryState;

  /** Every try the row ever had, across resends. */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** `attempts` when an operator last resent the row: NOTIFICATIONS_SEND_ATTEMPTS counts from here. */
  @Column({ type: 'int', default: 0 })
  attemptsBeforeResend: number;

  /** How often an operator resent the row (POST /v1/deliveries/:id/resend), when last, and with which key. */
  @Column({ type: 'int', default: 0 })
  resendCount: number;

  @Column({ type: 'timestamptz', nullable: true })
  resentAt: Date | null;

  @Column({ type: 'text', nullable: true })
  resentBy: string | null;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sendStartedAt: Date | null;

  /** Not sent before this: a coalescing window, the recipient's quiet hours, or their next digest. */
  @Column({ type: 'timestamptz', nullable: true })
  holdUntil: Date | null;

  /**
   * Held deliveries to the same address with the same key go out as one email: `ticket:<id>` for
   * notices about one ticket, `digest` for a team lead's digest. Null: always sent alone.
   */
  @Column({ type: 'text', nullable: true })
  batchKey: string | null;

  /** The delivery whose email carried this one, when several went out together. */
  @Column({ type: 'uuid', nullable: true })
  sentWith: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  /**
   * A skipped notice meant for an assignee the ticket did not have yet: what to render once it has
   * one. Null for every other row, and again once the notice is claimed.
   */
  @Column({ type: 'jsonb', nullable: true })
  awaitingAssignee: AwaitedNotice | null;
}
