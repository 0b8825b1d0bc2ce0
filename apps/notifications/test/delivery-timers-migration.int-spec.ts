import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseBlock, loadConfig } from '@app/config';
import { migrateSchema, typeOrmOptions } from '@app/database';
import { createSandbox, type TestSandbox } from '@app/testing';
import { notificationsDatabase } from '../src/database/data-source';
import { DeliveryTimers1765400000000 } from '../src/database/migrations/1765400000000-delivery-timers';

interface TimerRow {
  id: string;
  dueAt: string;
  data: unknown;
}

/**
 * The migration that gives every open delivery its watchdog timer, over real Postgres: pending and
 * sending rows get one named for the attempt it watches, settled rows none, rows the previous
 * release opens until the roll-out get theirs from the trigger, and going back removes only these.
 */
describe('the delivery timers migration', () => {
  let sandbox: TestSandbox;
  let dataSource: DataSource;
  let schema: string;

  /** As every release inserts a delivery: a plain row, no timer of its own. */
  async function insertDelivery(state: string, attempts: number, holdUntil: Date | null): Promise<string> {
    const [{ id }] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (tenant, ticket_id, reason, epoch, channel, recipient, to_address, locale,
                               subject, body, state, attempts, hold_until)
       VALUES ('default', $1, 'acknowledgment', 1, 'email', 'customer', 'customer@example.com', 'en',
               'Subject', 'Body', $2, $3, $4) RETURNING id`,
      [randomUUID(), state, attempts, holdUntil],
    );
    return id;
  }

  const timers = async () =>
    (
      await dataSource.query<TimerRow[]>(
        `SELECT id, to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "dueAt", data
         FROM timers WHERE queue = 'notification-delivery-timers'`,
      )
    ).sort((a, b) => (a.id < b.id ? -1 : 1));

  beforeAll(async () => {
    sandbox = await createSandbox();
    const { database } = loadConfig(
      { database: databaseBlock('notifications') },
      { ...sandbox.env, DATABASE_SCHEMA: `n${randomUUID().slice(0, 8)}` },
    );
    schema = database.schema;
    const options = notificationsDatabase({ database });
    const migrations = options.migrations as unknown[];
    const earlier = new DataSource(
      typeOrmOptions({
        ...options,
        migrations: migrations.filter((migration) => migration !== DeliveryTimers1765400000000) as never,
      }),
    );
    await earlier.initialize();
    await migrateSchema(earlier, schema);
    await earlier.destroy();
    dataSource = new DataSource(typeOrmOptions(options));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await sandbox?.dispose();
  });

  it('watches every open delivery, and those the previous release opens until the roll-out, and goes back', async () => {
    const held = new Date(Date.now() + 3_600_000);
    const pending = await insertDelivery('pending', 0, null);
    const retrying = await insertDelivery('pending', 2, held);
    const sending = await insertDelivery('sending', 3, null);
    await insertDelivery('sent', 1, null);
    await insertDelivery('failed', 8, null);
    const migratedAt = Date.now();

    expect(await migrateSchema(dataSource, schema)).toEqual(['DeliveryTimers1765400000000']);
    const armed = await timers();
    expect(armed.map(({ id, data }) => ({ id, data }))).toEqual(
      [
        { id: `delivery-${pending}-0`, data: { deliveryId: pending, attempt: 0 } },
        { id: `delivery-${retrying}-2`, data: { deliveryId: retrying, attempt: 2 } },
        // A row found sending counted its attempt when the send started: its timer watches the one before.
        { id: `delivery-${sending}-2`, data: { deliveryId: sending, attempt: 2 } },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const dueOf = (id: string) =>
      Date.parse(armed.find((timer) => timer.id.startsWith(`delivery-${id}`))!.dueAt);
    expect(dueOf(retrying)).toBe(held.getTime());
    expect(dueOf(pending)).toBeLessThanOrEqual(migratedAt + 5_000);
    expect(dueOf(sending)).toBeLessThanOrEqual(migratedAt + 5_000);

    // The previous release, still running, claims a delivery and puts a failed send back to pending.
    const claimed = await insertDelivery('pending', 0, held);
    await dataSource.query(
      `UPDATE deliveries SET state = 'pending', attempts = 4, hold_until = $2 WHERE id = $1`,
      [sending, held],
    );
    const ids = (await timers()).map((timer) => timer.id);
    expect(ids).toContain(`delivery-${claimed}-0`);
    expect(ids).toContain(`delivery-${sending}-4`);

    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await timers()).toEqual([]);
    const [{ present }] = await dataSource.query<Array<{ present: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'deliveries_arm_timer') AS present`,
    );
    expect(present).toBe(false);
    // Without its trigger the previous release claims deliveries as it always did.
    await insertDelivery('pending', 0, null);
    expect(await timers()).toEqual([]);
  });
});
