import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditedEntity = 'agent' | 'team' | 'routing_rule';
export type AuditAction = 'created' | 'updated' | 'deleted';

/** One admin change: who, when, and the entity before and after. Never updated or deleted. */
@Entity({ name: 'audit_log' })
export class AuditEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'text' })
  entityType: AuditedEntity;

  @Column({ type: 'uuid' })
  entityId: string;

  @Column({ type: 'text' })
  action: AuditAction;

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
