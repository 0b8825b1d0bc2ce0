import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { databaseBlock, loadConfig } from '@app/config';
import { afterCommit, afterCommitTogether, typeOrmOptions } from '@app/database';
import { createSandbox, type TestSandbox } from '@app/testing';

/** Work after commit, over a real Postgres: after the commit, with the rows visible, never after a rollback. */
describe('afterCommit', () => {
  let sandbox: TestSandbox;
  let dataSource: DataSource;
  let observer: Client;

  /** Whether another connection (as a BullMQ worker would) sees the row. */
  const visibleElsewhere = async (id: number) =>
    (await observer.query('SELECT 1 FROM after_commit_probe WHERE id = $1', [id])).rowCount === 1;

  beforeAll(async () => {
    sandbox = await createSandbox();
    const { database } = loadConfig({ database: databaseBlock('notifications') }, sandbox.env);
    dataSource = new DataSource(
      typeOrmOptions({ database, applicationName: 'after-commit-int-spec', entities: [], migrations: [] }),
    );
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${database.schema}"`);
    await dataSource.query(`CREATE TABLE "${database.schema}".after_commit_probe (id int PRIMARY KEY)`);
    observer = new Client({ connectionString: sandbox.databaseUrl });
    await observer.connect();
    await observer.query(`SET search_path = "${database.schema}"`);
  });

  afterAll(async () => {
    await observer?.end();
    await dataSource?.destroy();
    await sandbox?.dispose();
  });

  it('runs after the commit, when other connections already see the rows', async () => {
    const seen: boolean[] = [];
    await dataSource.transaction(async (manager) => {
      await manager.query('INSERT INTO after_commit_probe (id) VALUES (1)');
      await afterCommit(manager, async () => {
        seen.push(await visibleElsewhere(1));
      });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([true]);
  });

  it('never runs for a transaction that rolls back', async () => {
    let ran = false;
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query('INSERT INTO after_commit_probe (id) VALUES (2)');
        await afterCommit(manager, () => {
          ran = true;
          return Promise.resolve();
        });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(ran).toBe(false);
    expect(await visibleElsewhere(2)).toBe(false);
  });

  it('waits for the outermost commit, not a released savepoint', async () => {
    const seen: boolean[] = [];
    await dataSource.transaction(async (outer) => {
      await outer.transaction(async (inner) => {
        await inner.query('INSERT INTO after_commit_probe (id) VALUES (3)');
        await afterCommit(inner, async () => {
          seen.push(await visibleElsewhere(3));
        });
      });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual([true]);
  });

  it('drops the work of a savepoint that rolls back, keeps the work of one released before it', async () => {
    const ran: string[] = [];
    await dataSource.transaction(async (outer) => {
      await outer.transaction(async (kept) => {
        await kept.query('INSERT INTO after_commit_probe (id) VALUES (5)');
        await afterCommit(kept, () => Promise.resolve(void ran.push('released')));
      });
      await expect(
        outer.transaction(async (dropped) => {
          await dropped.query('INSERT INTO after_commit_probe (id) VALUES (6)');
          await afterCommit(dropped, () => Promise.resolve(void ran.push('rolled back')));
          throw new Error('poison message');
        }),
      ).rejects.toThrow('poison message');
      await afterCommit(outer, () => Promise.resolve(void ran.push('outer')));
    });
    expect(ran).toEqual(['released', 'outer']);
    expect(await visibleElsewhere(5)).toBe(true);
    expect(await visibleElsewhere(6)).toBe(false);
  });

  it("hands a transaction's items to one flush after the commit, without those of a rolled-back savepoint", async () => {
    const flushes: number[][] = [];
    const flush = (items: number[]) => Promise.resolve(void flushes.push(items));
    const other: number[][] = [];
    await dataSource.transaction(async (outer) => {
      await afterCommitTogether(outer, flush, 1);
      await afterCommitTogether(outer, (items: number[]) => Promise.resolve(void other.push(items)), 10);
      await expect(
        outer.transaction(async (inner) => {
          await afterCommitTogether(inner, flush, 2);
          throw new Error('poison message');
        }),
      ).rejects.toThrow('poison message');
      await outer.transaction((inner) => afterCommitTogether(inner, flush, 3));
      await afterCommitTogether(outer, flush, 4);
      expect(flushes).toEqual([]);
    });
    expect(flushes).toEqual([[1, 3, 4]]);
    expect(other).toEqual([[10]]);

    await expect(
      dataSource.transaction(async (manager) => {
        await afterCommitTogether(manager, flush, 5);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await afterCommitTogether(dataSource.manager, flush, 6);
    expect(flushes).toEqual([[1, 3, 4], [6]]);
  });

  it('runs at once outside a transaction, and a failure after commit does not undo the commit', async () => {
    let ran = false;
    await afterCommit(dataSource.manager, () => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(true);
    await dataSource.transaction(async (manager) => {
      await manager.query('INSERT INTO after_commit_probe (id) VALUES (4)');
      await afterCommit(manager, () => Promise.reject(new Error('Redis is down')));
    });
    expect(await visibleElsewhere(4)).toBe(true);
  });
});
