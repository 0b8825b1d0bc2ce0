import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** How an agent or lead wants to be reached: not during their quiet hours, and leads perhaps in digests. */
@Entity({ name: 'recipient_preferences' })
export class RecipientPreference {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  /** Lower-cased email address. */
  @PrimaryColumn({ type: 'text' })
  email: string;

  /** `HH:MM` local time; quiet hours may wrap midnight (22:00–07:00). Null: none. */
  @Column({ type: 'text', nullable: true })
  quietFrom: string | null;

  @Column({ type: 'text', nullable: true })
  quietTo: string | null;

  @Column({ type: 'text', default: 'UTC' })
  timeZone: string;

  /** Team-lead notifications gathered into one email per digest interval. */
  @Column({ type: 'boolean', default: false })
  digest: boolean;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
