import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { type Priority, type TicketMatch } from '@app/contracts';

export interface RuleMatch extends TicketMatch {
  language?: string;
}

export interface RuleAssign {
  teamId?: string;
  requiredSkills?: string[];
  /** Overrides the ticket's priority for this ticket's place in the queue. */
  priority?: Priority;
  /** ISO 8601: reassign when the assignee has not answered within this time. */
  overflowAfter?: string;
  /** How many times one ticket may be passed on; then it stays with its last assignee. */
  maxOverflows?: number;
}

/** A rule that does not say: pass a ticket on twice at most, never round and round. */
export const DEFAULT_MAX_OVERFLOWS = 2;
export const MAX_OVERFLOWS_LIMIT = 20;

@Entity({ name: 'routing_rules' })
export class RoutingRule {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  tenant: string;

  /** Rules are tried in ascending position; the first match wins. */
  @Column({ type: 'int' })
  position: number;

  @Column({ type: 'jsonb' })
  match: RuleMatch;

  @Column({ type: 'jsonb' })
  assign: RuleAssign;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
