import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { addOutboxTraceparent, dropOutboxTraceparent } from '@app/messaging';
import { addTimerTraceparent, dropTimerTraceparent } from '@app/timers';

/**
 * Outbox rows and timers keep the W3C trace context of the transaction that wrote them, so the work that
 * runs after it (a publish, a firing) continues its trace. Rows from before have none.
 */
export class TraceContext1765700000000 implements MigrationInterface {
  name = 'TraceContext1765700000000';

  async up(runner: QueryRunner): Promise<void> {
    await addOutboxTraceparent(runner);
    await addTimerTraceparent(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropTimerTraceparent(runner);
    await dropOutboxTraceparent(runner);
  }
}
