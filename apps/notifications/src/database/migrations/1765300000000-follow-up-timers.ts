import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTimerTable, dropTimerTable } from '@app/timers';

/** FOLLOW_UP_QUEUE and followUpJobId, as they are at this migration: data, frozen here. */
const QUEUE = 'notification-follow-ups';

/**
 * Follow-up deadlines move from BullMQ jobs to the `timers` table. The table is the whole schema's:
 * every durable timer of this service keeps its rows there, told apart by queue. So this migration
 * touches only its own queue's rows, and the table goes on the way
 * down only when no other queue still has rows in it.
 *
 * Every follow-up still scheduled gets its timer, due when the follow-up is. The release before
 * this one goes on running between this migration and the roll-out of the new code, and schedules
 * follow-ups without timers: a trigger arms those in the transaction that inserts them, as the new
 * code does itself (arming an armed timer changes nothing). A later migration drops the trigger
 * once no release older than this one can run.
 */
export class FollowUpTimers1765300000000 implements MigrationInterface {
  name = 'FollowUpTimers1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    await createTimerTable(runner);
    await runner.query(
      `INSERT INTO timers (queue, id, due_at, data)
       SELECT $1, 'follow-up-' || id, due_at, jsonb_build_object('followUpId', id)
       FROM follow_ups WHERE state = 'scheduled'
       ON CONFLICT (queue, id) DO NOTHING`,
      [QUEUE],
    );
    // SET search_path FROM CURRENT: `timers` is this schema's, whatever the inserting session's path.
    await runner.query(`
      CREATE FUNCTION arm_follow_up_timer() RETURNS trigger LANGUAGE plpgsql
      SET search_path FROM CURRENT AS $$
      BEGIN
        INSERT INTO timers (queue, id, due_at, data)
        VALUES ('${QUEUE}', 'follow-up-' || NEW.id, NEW.due_at, jsonb_build_object('followUpId', NEW.id))
        ON CONFLICT (queue, id) DO NOTHING;
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER follow_ups_arm_timer AFTER INSERT ON follow_ups
      FOR EACH ROW WHEN (NEW.state = 'scheduled') EXECUTE FUNCTION arm_follow_up_timer()`);
  }

  /**
   * The release before this one re-arms, from Postgres, every scheduled follow-up that has no job
   * in Redis: dropping the timers loses none.
   */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TRIGGER follow_ups_arm_timer ON follow_ups');
    await runner.query('DROP FUNCTION arm_follow_up_timer()');
    await runner.query('DELETE FROM timers WHERE queue = $1', [QUEUE]);
    const [{ used }] = (await runner.query('SELECT EXISTS (SELECT 1 FROM timers) AS used')) as Array<{
      used: boolean;
    }>;
    if (!used) await dropTimerTable(runner);
  }
}
