import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An admin's version of a shipped template; deleting it restores the shipped text. */
@Entity({ name: 'templates' })
export class TemplateOverride {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'text' })
  kind: string;

  @PrimaryColumn({ type: 'text' })
  locale: string;

  @Column({ type: 'text' })
  subject: string;

  @Column({ type: 'text' })
  body: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
