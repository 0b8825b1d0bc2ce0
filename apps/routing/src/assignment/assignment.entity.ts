import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'assignments' })
export class Assignment {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'uuid' })
  agentId: string;

  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  @Column({ type: 'text' })
  state: 'active' | 'released';

  @Column({ type: 'uuid', nullable: true })
  ruleId: string | null;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'timestamptz' })
  assignedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  releasedAt: Date | null;
}
