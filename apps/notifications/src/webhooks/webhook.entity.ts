import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type WebhookKind = 'webhook' | 'slack';

/** An admin's subscription: the events to forward to a URL, signed (webhooks) or as text (Slack). */
@Entity({ name: 'webhooks' })
export class Webhook {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'text' })
  kind: WebhookKind;

  @Column({ type: 'text' })
  url: string;

  /** Event types, e.g. `sla.breached`, or `*` for every event the service sees. */
  @Column({ type: 'text', array: true })
  events: string[];

  /** Signs webhook deliveries; never returned by the API after creation. Slack needs none. */
  @Column({ type: 'text', nullable: true })
  secret: string | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
