import { Logger } from '@nestjs/common';
import {
  type EntityManager,
  type EntitySubscriberInterface,
  EventSubscriber,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

const deferred = new WeakMap<QueryRunner, Array<() => Promise<void>>>();
const logger = new Logger('AfterCommit');

/**
 * Runs `work` once the manager's transaction has committed, or now when there is none; never when
 * it rolls back. For side effects outside Postgres that must not see uncommitted rows, such as
 * queuing a BullMQ job for a row: a job that ran first would find nothing. A failure is logged,
 * not thrown (the transaction has committed); callers keep a reconciler for what it misses.
 */
export async function afterCommit(manager: EntityManager, work: () => Promise<void>): Promise<void> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) return work();
  const queue = deferred.get(runner) ?? [];
  queue.push(work);
  deferred.set(runner, queue);
}

/** Drives `afterCommit`; registered with every data source. */
@EventSubscriber()
export class AfterCommitSubscriber implements EntitySubscriberInterface {
  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const runner = event.queryRunner;
    // A released savepoint is not the commit: wait for the outermost transaction.
    if (runner.isTransactionActive) return;
    const queue = deferred.get(runner);
    deferred.delete(runner);
    for (const work of queue ?? []) {
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
    if (!event.queryRunner.isTransactionActive) deferred.delete(event.queryRunner);
  }
}
