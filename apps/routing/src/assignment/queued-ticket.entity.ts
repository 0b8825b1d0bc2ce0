import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type Channel, type Priority } from '@app/contracts';

/** A ticket nobody could take yet: what routing needs to retry it when capacity frees. */
@Entity({ name: 'routing_queue' })
export class QueuedTicket {
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'uuid' })
  ticketId: string;

  @Column({ type: 'text' })
  priority: Priority;

  /** urgent 0 … low 3, so ORDER BY puts urgent first. */
  @Column({ type: 'int' })
  priorityRank: number;

  @Column({ type: 'text' })
  channel: Channel;

  @Column({ type: 'text', nullable: true })
  category: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'text', nullable: true })
  language: string | null;

  @Column({ type: 'timestamptz' })
  queuedAt: Date;

  /** What it waits for, from the rule that matched: only an agent of this team with these skills. */
  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  requiredSkills: string[];

  @Column({ type: 'uuid', nullable: true })
  ruleId: string | null;
}
