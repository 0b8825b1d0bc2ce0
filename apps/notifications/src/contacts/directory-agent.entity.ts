import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An agent as routing last described them; personal data, never logged (S4). */
@Entity({ name: 'agents' })
export class DirectoryAgent {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'uuid' })
  agentId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
