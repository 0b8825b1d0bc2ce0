import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { loadConfig, redisBlock } from '@app/config';
import { JobQueue } from '@app/database';
import { createSandbox, type TestSandbox, waitFor } from '@app/testing';

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

describe('JobQueue connection errors', () => {
  it('go to the structured log, not to the console, while Redis does not answer', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const closed = await unusedPort();
    const { redis } = loadConfig({ redis: redisBlock }, { REDIS_URL: `redis://127.0.0.1:${closed}` });
    const jobs = new JobQueue(`unreachable-${randomUUID().slice(0, 8)}`, redis);
    try {
      await waitFor(() => warn.mock.calls.some(([entry]) => matchesQueueError(entry)), {
        description: 'a logged connection error',
      });
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await jobs.close();
      warn.mockRestore();
      consoleError.mockRestore();
    }
  });
});

function matchesQueueError(entry: unknown): boolean {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    (entry as { msg?: string }).msg === 'Job queue connection error' &&
    String((entry as { error?: string }).error).includes('ECONNREFUSED')
  );
}

/** A loopback port nothing listens on: bound once to learn it, then released. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
