import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createTimerTable } from '@app/timers';

/** DELIVERY_TIMER_QUEUE and deliveryTimerId, as they are at this migration: data, frozen here. */
const QUEUE = 'notification-delivery-timers';

/**
 * Every open delivery gets its watchdog timer in the `timers` table, which replaces the periodic
 * search for open rows without a job. A pending row's timer is due when its hold ends (now when it
 * has none); a `sending` row's is due now, and finds whether its send job is still in Redis. A
 * timer is named for the attempt it watches, `attempts` of a pending row; a `sending` row counted
 * its attempt when it started, so its timer's attempt is one lower.
 *
 * The release before this one goes on running between this migration and the roll-out of the new
 * code, and opens rows without timers: a trigger arms one whenever a row becomes `pending` (a claim,
 * or a failed send waiting to be retried), as the new code does itself (arming an armed timer
 * changes nothing). Timers of rows that release settles find them settled and go. A later migration
 * drops the trigger once no release older than this one can run.
 */
export class DeliveryTimers1765400000000 implements MigrationInterface {
  name = 'DeliveryTimers1765400000000';

  async up(runner: QueryRunner): Promise<void> {
    await createTimerTable(runner);
    await runner.query(
      `INSERT INTO timers (queue, id, due_at, data)
       SELECT $1, 'delivery-' || id || '-' || CASE WHEN state = 'sending' THEN greatest(attempts - 1, 0) ELSE attempts END,
              CASE WHEN state = 'pending' THEN coalesce(hold_until, now()) ELSE now() END,
              jsonb_build_object('deliveryId', id,
                'attempt', CASE WHEN state = 'sending' THEN greatest(attempts - 1, 0) ELSE attempts END)
       FROM deliveries WHERE state IN ('pending', 'sending')
       ON CONFLICT (queue, id) DO NOTHING`,
      [QUEUE],
    );
    // SET search_path FROM CURRENT: `timers` is this schema's, whatever the writing session's path.
    await runner.query(`
      CREATE FUNCTION arm_delivery_timer() RETURNS trigger LANGUAGE plpgsql
      SET search_path FROM CURRENT AS $$
      BEGIN
        INSERT INTO timers (queue, id, due_at, data)
        VALUES ('${QUEUE}', 'delivery-' || NEW.id || '-' || NEW.attempts, coalesce(NEW.hold_until, now()),
                jsonb_build_object('deliveryId', NEW.id, 'attempt', NEW.attempts))
        ON CONFLICT (queue, id) DO NOTHING;
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER deliveries_arm_timer AFTER INSERT OR UPDATE OF state ON deliveries
      FOR EACH ROW WHEN (NEW.state = 'pending') EXECUTE FUNCTION arm_delivery_timer()`);
  }

  /**
   * The release before this one re-queues, from Postgres, every open delivery that has no job in
   * Redis: dropping the timers loses none. The table stays: the follow-up timers' migration owns it.
   */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TRIGGER deliveries_arm_timer ON deliveries');
    await runner.query('DROP FUNCTION arm_delivery_timer()');
    await runner.query('DELETE FROM timers WHERE queue = $1', [QUEUE]);
  }
}
