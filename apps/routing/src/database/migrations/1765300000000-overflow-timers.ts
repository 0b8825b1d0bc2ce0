import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTimerTable, dropTimerTable } from '@app/timers';

/**
 * Overflow timers move from BullMQ jobs to the `timers` table. Every assignment waiting for its
 * first reply gets its timer from the deadline on its row, under the id and data the service arms
 * (`overflow-<ticket>-<epoch>`). The jobs an earlier release left in `routing-timers` only wake a
 * drain when they come due, which fires what is due in the table.
 */
export class OverflowTimers1765300000000 implements MigrationInterface {
  name = 'OverflowTimers1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    await createTimerTable(runner);
    await backfillOverflowTimers(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropTimerTable(runner);
  }
}

/** One timer per open overflow deadline; one already armed is kept. */
export async function backfillOverflowTimers(runner: Pick<QueryRunner, 'query'>): Promise<void> {
  await runner.query(`
    INSERT INTO timers (queue, id, due_at, data)
    SELECT 'routing-timers', 'overflow-' || ticket_id || '-' || epoch, overflow_due_at,
           jsonb_build_object('tenant', tenant, 'ticketId', ticket_id, 'epoch', epoch)
    FROM assignments
    WHERE state = 'active' AND responded_at IS NULL AND overflow_due_at IS NOT NULL
    ON CONFLICT (queue, id) DO NOTHING`);
}
