import { type FollowUp } from './follow-up.entity';

/**
 * What a due timer means for its follow-up:
 * - `stale`: it is gone, done or cancelled already; nothing happens;
 * - `wait`: its own due time has not come (the timer woke early); it is tried again then;
 * - `cancel`: the ticket's status changed since it was scheduled; it ends without acting;
 * - `run`: it acts, and is done.
 */
export type FollowUpDecision =
  { step: 'stale' } | { step: 'wait'; until: Date } | { step: 'cancel' } | { step: 'run' };

/**
 * Postgres decides, not the timer. `statusEpoch` is the ticket's current status epoch, undefined
 * when the ticket is unknown here. The acknowledgment belongs to the ticket, not to a status, so
 * no status change makes it moot.
 */
export function decideFollowUp(
  followUp: Pick<FollowUp, 'kind' | 'epoch' | 'dueAt' | 'state'> | undefined,
  statusEpoch: number | undefined,
  now: Date,
): FollowUpDecision {
  if (!followUp || followUp.state !== 'scheduled') return { step: 'stale' };
  if (followUp.dueAt.getTime() > now.getTime()) return { step: 'wait', until: followUp.dueAt };
  if (followUp.kind === 'acknowledgment' || statusEpoch === followUp.epoch) return { step: 'run' };
  return { step: 'cancel' };
}
