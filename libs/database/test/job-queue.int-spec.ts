import { randomUUID } from 'node:crypto';
import { loadConfig, redisBlock } from '@app/config';
import { JobQueue } from '@app/database';
import { createSandbox, type TestSandbox } from '@app/testing';

/** Which jobs are live, over a real Redis: the answer reconcilers re-arm lost timers by. */
describe('JobQueue.liveAmong', () => {
  let sandbox: TestSandbox;
  let jobs: JobQueue<{ n: number }>;

  beforeAll(async () => {
    sandbox = await createSandbox();
    const { redis } = loadConfig({ redis: redisBlock }, sandbox.env);
    jobs = new JobQueue(`live-among-${randomUUID().slice(0, 8)}`, redis);
  });

  afterAll(async () => {
    await jobs?.queue.obliterate({ force: true });
    await jobs?.close();
    await sandbox?.dispose();
  });

  // Job ids are part of BullMQ's keys: `delayed` or `wait` alone would be the queue's own lists.
  it('counts delayed and waiting jobs as live, and removed and unknown ones as not', async () => {
    await jobs.queue.add('timer', { n: 1 }, { jobId: 'job-delayed', delay: 3_600_000 });
    await jobs.queue.add('timer', { n: 2 }, { jobId: 'job-waiting' });
    await jobs.queue.add('timer', { n: 3 }, { jobId: 'job-removed', delay: 3_600_000 });
    await jobs.queue.remove('job-removed');

    expect(await jobs.liveAmong(['job-delayed', 'job-waiting', 'job-removed', 'job-never-added'])).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(await jobs.liveAmong([])).toEqual([]);
  });
});
