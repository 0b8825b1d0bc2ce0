import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type RoutingDecision } from '@app/contracts';

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

  /** Bumped on every new assignee: an overflow timer of an older epoch is stale. */
  @Column({ type: 'int', default: 1 })
  epoch: number;

  /** When the first public agent reply came; it cancels the overflow timer. */
  @Column({ type: 'timestamptz', nullable: true })
  respondedAt: Date | null;

  /** The rule's overflow window, kept so a reassignment gives the next agent the same time. */
  @Column({
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: unknown) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  overflowAfterMs: number | null;

  /** The overflow deadline: the timer armed with it fires then, and this row decides if it still applies. */
  @Column({ type: 'timestamptz', nullable: true })
  overflowDueAt: Date | null;

  /** How many times this ticket has been passed on since routing last placed it afresh. */
  @Column({ type: 'int', default: 0 })
  overflowCount: number;

  /** The agents it was passed on from: none of them gets it again while anyone else qualifies. */
  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  overflowedFrom: string[];

  /** Passing on stopped for good (the rule's bound, or nobody new to take it): it stays here. */
  @Column({ type: 'timestamptz', nullable: true })
  overflowStoppedAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  decision: RoutingDecision | null;
}
