import { SendPermits } from './send-permits';

/** A task that runs until the test lets it finish. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('send permits', () => {
  it('lets at most `limit` tasks run at once and the rest in arrival order', async () => {
    const permits = new SendPermits(2);
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const runs = gates.map((g, index) =>
      permits.run(async () => {
        started.push(index);
        running += 1;
        most = Math.max(most, running);
        await g.opened;
        running -= 1;
        return index;
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    expect(permits.queued).toBe(3);
    gates[1].open();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0].open();
    await flush();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(permits.inUse).toBe(0);
    expect(permits.queued).toBe(0);
  });

  it('gives the permit back when a task throws', async () => {
    const permits = new SendPermits(1);
    await expect(permits.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(permits.inUse).toBe(0);
    await expect(permits.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('never makes anyone wait without a limit', async () => {
    const permits = new SendPermits(Number.POSITIVE_INFINITY);
    const g = gate();
    const runs = Array.from({ length: 100 }, () => permits.run(() => g.opened));
    await flush();
    expect(permits.inUse).toBe(100);
    expect(permits.queued).toBe(0);
    g.open();
    await Promise.all(runs);
  });
});
