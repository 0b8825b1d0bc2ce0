import { Logger } from '@nestjs/common';
import {
  type EntityManager,
  type EntitySubscriberInterface,
  EventSubscriber,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

/** `depth` is the savepoint level the work belongs to, so a rolled-back savepoint drops only its own. */
interface DeferredWork {
  depth: number;
  work: () => Promise<void>;
}

const deferred = new WeakMap<QueryRunner, DeferredWork[]>();

/** 1 in a transaction, 2 in its first savepoint, …: TypeORM keeps the count but does not type it public. */
function savepointDepth(runner: QueryRunner): number {
  return (runner as unknown as { transactionDepth: number }).transactionDepth;
}
const logger = new Logger('AfterCommit');

/**
 * Runs `work` once the manager's transaction has committed, or now when there is none; never when
 * it rolls back. For side effects outside Postgres that must not see uncommitted rows, such as
 * queuing a BullMQ job for a row: a job that ran first would find nothing. A failure is logged,
 * not thrown (the transaction has committed); callers keep a reconciler for what it misses.
 * Inside a savepoint, the work is dropped if that savepoint rolls back, even when the outer
 * transaction then commits (a batch consumer rolls back one message and commits the rest).
 */
export async function afterCommit(manager: EntityManager, work: () => Promise<void>): Promise<void> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) return work();
  const queue = deferred.get(runner) ?? [];
  queue.push({ depth: savepointDepth(runner), work });
  deferred.set(runner, queue);
}

/** Drives `afterCommit`; registered with every data source. */
@EventSubscriber()
export class AfterCommitSubscriber implements EntitySubscriberInterface {
  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const runner = event.queryRunner;
    const queue = deferred.get(runner) ?? [];
    if (runner.isTransactionActive) {
      // A released savepoint is not the commit: its work now belongs to the enclosing level.
      for (const entry of queue) entry.depth = Math.min(entry.depth, savepointDepth(runner));
      return;
    }
    deferred.delete(runner);
    for (const { work } of queue) {
      try {
        await work();
      } catch (error) {
        logger.warn({
          msg: 'Work after commit failed; its reconciler will redo it',
          error: (error as Error).message,
        });
      }
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const runner = event.queryRunner;
    if (!runner.isTransactionActive) {
      deferred.delete(runner);
      return;
    }
    // Rolled back to a savepoint: what was deferred inside it never happened.
    const kept = (deferred.get(runner) ?? []).filter((entry) => entry.depth <= savepointDepth(runner));
    deferred.set(runner, kept);
  }
}
