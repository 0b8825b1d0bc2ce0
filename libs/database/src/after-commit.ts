import { Logger } from '@nestjs/common';
import {
  type EntityManager,
  type EntitySubscriberInterface,
  EventSubscriber,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

/**
 * `depth` is the savepoint level the work belongs to, so a rolled-back savepoint drops only its
 * own. Work registered with `afterCommitTogether` carries its item and the function that takes
 * every item of the transaction at once.
 */
type DeferredWork = { depth: number } & (
  { work: () => Promise<void> } | { flush: (items: never[]) => Promise<void>; item: unknown }
);

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
 * not thrown (the transaction has committed); callers keep what it was for in Postgres (a durable timer) so nothing is lost.
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

/**
 * Like `afterCommit` for many items of one kind: after the commit, `flush` is called once with
 * every item the transaction registered with it (those of rolled-back savepoints left out), so a
 * batch of consumed events queues its jobs in one round trip. Outside a transaction, at once.
 */
export async function afterCommitTogether<T>(
  manager: EntityManager,
  flush: (items: T[]) => Promise<void>,
  item: T,
): Promise<void> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) return flush([item]);
  const queue = deferred.get(runner) ?? [];
  queue.push({ depth: savepointDepth(runner), flush, item });
  deferred.set(runner, queue);
}

/** The deferred work in order, each `flush` once (where it first appeared) with all its items. */
function gather(queue: DeferredWork[]): Array<() => Promise<void>> {
  const batches = new Map<object, unknown[]>();
  const runs: Array<() => Promise<void>> = [];
  for (const entry of queue) {
    if ('work' in entry) {
      runs.push(entry.work);
      continue;
    }
    const items = batches.get(entry.flush);
    if (items) {
      items.push(entry.item);
      continue;
    }
    const batch = [entry.item];
    batches.set(entry.flush, batch);
    runs.push(() => entry.flush(batch as never[]));
  }
  return runs;
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
    for (const work of gather(queue)) {
      try {
        await work();
      } catch (error) {
        logger.warn({
          msg: 'Work after commit failed; Postgres still holds what it was for',
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
