import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTimerTable, dropTimerTable } from '@app/timers';

/**
 * Timers move from BullMQ jobs to the `timers` table. The timers of clocks already running are
 * worked out by the service itself (warnings and escalations depend on calendars and policies):
 * each active clock gets one `rearm` timer, due now, whose firing arms the clock's timers.
 */
export class DurableTimers1765200000000 implements MigrationInterface {
  name = 'DurableTimers1765200000000';

  async up(runner: QueryRunner): Promise<void> {
    await createTimerTable(runner);
    await runner.query(`
      INSERT INTO timers (queue, id, due_at, data)
      SELECT 'sla-timers', 'rearm-' || id, now(), jsonb_build_object('kind', 'rearm', 'clockId', id)
      FROM sla_clocks WHERE state = 'running' OR (state = 'breached' AND stopped_at IS NULL)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropTimerTable(runner);
  }
}
