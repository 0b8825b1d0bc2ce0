import { type DataSource } from 'typeorm';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryChannel } from '../channels/channel';
import { type DeliveryTimers } from './delivery-timers';

/** How often a delivery may be tried, and how long it waits between tries. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
  /** Up to this fraction of each wait is taken off at random, so receivers are not hit in step. */
  jitter: number;
}

export function retryPolicyFor(config: NotificationsConfig, channel: DeliveryChannel): RetryPolicy {
  const email = channel === 'email';
  return {
    attempts: email ? config.delivery.sendAttempts : config.webhooks.attempts,
    baseMs: email ? config.delivery.backoffMs : config.webhooks.backoffMs,
    capMs: config.delivery.backoffMaxMs,
    // A webhook receiver coming back up should not meet every sender's retry at the same instant.
    jitter: email ? 0 : 0.5,
  };
}

export interface SettledRow {
  id: string;
  channel: DeliveryChannel;
  state: 'pending' | 'failed';
  holdUntil: Date | null;
  attempts: number;
}

/**
 * A send failed, so nothing was delivered: the email's own row and every row it was carrying are
 * settled here, each by its own `attempts` as counted in Postgres — not by the BullMQ job that
 * happened to run, which a batch, a re-queue or a restart starts afresh. A row at the bound fails
 * for good; any other goes back to `pending`, held until its backoff has passed. In the same
 * transaction each row's watchdog for the attempt that failed is disarmed, and a row to be tried
 * again gets the next attempt's, due when its backoff ends: that timer hands it to the send queue.
 */
export function settleFailedSend(
  dataSource: DataSource,
  timers: DeliveryTimers,
  carrierId: string,
  lastError: string,
  policy: RetryPolicy,
): Promise<SettledRow[]> {
  return dataSource.transaction(async (manager) => {
    // A round of attempts starts at the last resend: an operator's resend gets the whole policy again.
    const [rows] = await manager.query<[SettledRow[], number]>(
      `UPDATE deliveries SET
         state = CASE WHEN attempts - attempts_before_resend >= $3 THEN 'failed' ELSE 'pending' END,
         hold_until = CASE WHEN attempts - attempts_before_resend >= $3 THEN hold_until
           ELSE now() + least($5::float8, $4::float8
                        * power(2, least(greatest(attempts - attempts_before_resend - 1, 0), 40)))
                        * (1 - $6::float8 * random()) * interval '1 millisecond' END,
         sent_with = NULL,
         last_error = $2
       WHERE (id = $1 OR sent_with = $1) AND state = 'sending'
       RETURNING id, channel, state, hold_until AS "holdUntil", attempts`,
      [carrierId, lastError, policy.attempts, policy.baseMs, policy.capMs, policy.jitter],
    );
    await timers.disarmSettled(manager, rows);
    await timers.arm(
      manager,
      rows
        .filter((row) => row.state === 'pending')
        .map((row) => ({
          data: { deliveryId: row.id, attempt: row.attempts },
          at: row.holdUntil ?? new Date(),
        })),
    );
    return rows;
  });
}
