import { singleFlight } from './single-flight';

describe('singleFlight', () => {
  it('gives calls made while a read runs that read, and starts a new one after it settled', async () => {
    const settle: Array<(value: number) => void> = [];
    let reads = 0;
    const shared = singleFlight(() => {
      reads++;
      return new Promise<number>((resolve) => settle.push(resolve));
    });

    const first = shared();
    const second = shared();
    expect(second).toBe(first);
    settle[0](1);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);

    const third = shared();
    expect(reads).toBe(2);
    settle[1](2);
    await expect(third).resolves.toBe(2);
  });

  it('starts a new read after one failed', async () => {
    let reads = 0;
    const shared = singleFlight(() =>
      ++reads === 1 ? Promise.reject(new Error('down')) : Promise.resolve(reads),
    );
    await expect(shared()).rejects.toThrow('down');
    await expect(shared()).resolves.toBe(2);
  });
});
