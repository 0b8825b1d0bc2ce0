import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('settles as the work does when it is in time, leaving no timer behind', async () => {
    await expect(withTimeout(Promise.resolve('answer'), 1_000)).resolves.toBe('answer');
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects once the time is up while the work hangs', async () => {
    const hanging = withTimeout(new Promise<never>(() => {}), 2_000);
    const outcome = expect(hanging).rejects.toThrow('timed out after 2000 ms');
    await jest.advanceTimersByTimeAsync(2_000);
    await outcome;
  });
});
