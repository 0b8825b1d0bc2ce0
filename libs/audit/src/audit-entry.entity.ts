import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One change an admin or operator made over the API: who, when, and the entity before and after. Never updated or deleted. */
@Entity({ name: 'audit_log' })
export class AuditEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  /** What was changed, in the owning service's words (`agent`, `delivery`); its table's CHECK lists them. */
  @Column({ type: 'text' })
  entityType: string;

  @Column({ type: 'uuid' })
  entityId: string;

  /** `created`, `updated`, `deleted`, or a service's own verb (`resent`); its table's CHECK lists them. */
  @Column({ type: 'text' })
  action: string;

  /** `api-key:<first 8 hex of the key's hash>`: which key did it, without the key. */
  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'jsonb', nullable: true })
  before: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  after: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}
