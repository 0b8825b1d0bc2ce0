import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseBlock, loadConfig } from '@app/config';
import { migrateSchema, typeOrmOptions } from '@app/database';
import { createSandbox, type TestSandbox } from '@app/testing';
import { createTimerTable } from '@app/timers';
import { notificationsDatabase } from '../src/database/data-source';
import { FollowUpTimers1765300000000 } from '../src/database/migrations/1765300000000-follow-up-timers';

interface TimerRow {
  queue: string;
  id: string;
  dueAt: string;
  data: unknown;
}

/**
 * The migration that moves follow-up deadlines into the `timers` table, over real Postgres: every
 * scheduled follow-up gets its timer, so do those the previous release schedules meanwhile, and the
 * table's other users keep theirs both ways.
 */
describe('the follow-up timers migration', () => {
  let sandbox: TestSandbox;
  const opened: DataSource[] = [];

  /** A fresh schema migrated up to, not including, the follow-up timers. */
  async function schemaBefore(): Promise<{ dataSource: DataSource; schema: string }> {
    const { database } = loadConfig(
      { database: databaseBlock('notifications') },
      { ...sandbox.env, DATABASE_SCHEMA: `n${randomUUID().slice(0, 8)}` },
    );
    const options = notificationsDatabase({ database });
    const migrations = options.migrations as unknown[];
    const open = async (list: unknown[]) => {
      const dataSource = new DataSource(typeOrmOptions({ ...options, migrations: list as never }));
      await dataSource.initialize();
      opened.push(dataSource);
      return dataSource;
    };
    const earlier = await open(migrations.filter((migration) => migration !== FollowUpTimers1765300000000));
    await migrateSchema(earlier, database.schema);
    return { dataSource: await open(migrations), schema: database.schema };
  }

  /** As every release inserts a follow-up: a plain row, no timer of its own. */
  async function insertFollowUp(dataSource: DataSource, state: string, dueAt: Date): Promise<string> {
    const [{ id }] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO follow_ups (tenant, ticket_id, kind, epoch, due_at, state)
       VALUES ('default', $1, 'survey', 1, $2, $3) RETURNING id`,
      [randomUUID(), dueAt, state],
    );
    return id;
  }

  const byKey = (rows: TimerRow[]) =>
    [...rows].sort((a, b) => (`${a.queue}/${a.id}` < `${b.queue}/${b.id}` ? -1 : 1));

  const timers = async (dataSource: DataSource) =>
    byKey(
      await dataSource.query<TimerRow[]>(
        `SELECT queue, id, to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "dueAt", data
         FROM timers`,
      ),
    );

  const followUpTimer = (id: string, dueAt: Date): TimerRow => ({
    queue: 'notification-follow-ups',
    id: `follow-up-${id}`,
    dueAt: dueAt.toISOString(),
    data: { followUpId: id },
  });

  async function exists(dataSource: DataSource, what: 'table' | 'trigger'): Promise<boolean> {
    const [row] = await dataSource.query<Array<{ present: boolean }>>(
      what === 'table'
        ? `SELECT to_regclass('timers') IS NOT NULL AS present`
        : `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'follow_ups_arm_timer'
             AND tgrelid = to_regclass('follow_ups')) AS present`,
    );
    return row.present;
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
  });

  afterAll(async () => {
    for (const dataSource of opened) await dataSource.destroy();
    await sandbox?.dispose();
  });

  it('arms every scheduled follow-up, and those the previous release schedules until the roll-out, and goes back', async () => {
    const { dataSource, schema } = await schemaBefore();
    const soon = new Date(Date.now() + 60_000);
    const tomorrow = new Date(Date.now() + 86_400_000);
    const scheduled = [await insertFollowUp(dataSource, 'scheduled', soon)];
    scheduled.push(await insertFollowUp(dataSource, 'scheduled', tomorrow));
    await insertFollowUp(dataSource, 'done', soon);
    await insertFollowUp(dataSource, 'cancelled', soon);

    expect(await migrateSchema(dataSource, schema)).toEqual(['FollowUpTimers1765300000000']);
    expect(await timers(dataSource)).toEqual(
      byKey([followUpTimer(scheduled[0], soon), followUpTimer(scheduled[1], tomorrow)]),
    );

    // The previous release, still running, schedules a follow-up and arms only its BullMQ job.
    const later = new Date(Date.now() + 120_000);
    const fromPreviousRelease = await insertFollowUp(dataSource, 'scheduled', later);
    await insertFollowUp(dataSource, 'done', later);
    expect(await timers(dataSource)).toEqual(
      byKey([
        followUpTimer(scheduled[0], soon),
        followUpTimer(scheduled[1], tomorrow),
        followUpTimer(fromPreviousRelease, later),
      ]),
    );

    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await exists(dataSource, 'table')).toBe(false);
    expect(await exists(dataSource, 'trigger')).toBe(false);
    // Without its trigger the previous release inserts follow-ups as it always did.
    await insertFollowUp(dataSource, 'scheduled', later);
  });

  it("shares the schema's timers table with its other users, both ways", async () => {
    const { dataSource, schema } = await schemaBefore();
    const runner = dataSource.createQueryRunner();
    await createTimerTable(runner);
    await runner.release();
    const other: TimerRow = {
      queue: 'another-queue',
      id: 'another-1',
      dueAt: '2030-01-01T00:00:00.000Z',
      data: { anotherId: '1' },
    };
    await dataSource.query(`INSERT INTO timers (queue, id, due_at, data) VALUES ($1, $2, $3, $4)`, [
      other.queue,
      other.id,
      other.dueAt,
      JSON.stringify(other.data),
    ]);
    const soon = new Date(Date.now() + 60_000);
    const scheduled = await insertFollowUp(dataSource, 'scheduled', soon);

    expect(await migrateSchema(dataSource, schema)).toEqual(['FollowUpTimers1765300000000']);
    expect(await timers(dataSource)).toEqual(byKey([other, followUpTimer(scheduled, soon)]));

    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await timers(dataSource)).toEqual([other]);
    expect(await exists(dataSource, 'trigger')).toBe(false);
  });
});
