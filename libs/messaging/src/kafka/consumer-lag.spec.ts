import { Logger } from '@nestjs/common';
import { type Admin, type Kafka } from 'kafkajs';
import { Topic } from '@app/contracts';
import { ConsumerLag, type ConsumerLagOptions, partitionLag } from './consumer-lag';
import { TopicNames } from './topic-names';

describe('partitionLag', () => {
  it.each([
    { case: 'committed behind the high watermark', committed: '40', low: '0', high: '42', lag: 2 },
    { case: 'caught up', committed: '42', low: '0', high: '42', lag: 0 },
    { case: 'never committed: everything retained', committed: '-1', low: '10', high: '25', lag: 15 },
    { case: 'committed before what retention kept', committed: '3', low: '10', high: '25', lag: 15 },
    { case: 'an empty partition', committed: '-1', low: '0', high: '0', lag: 0 },
    { case: 'offsets past 2^53', committed: '9007199254740993', low: '0', high: '9007199254741000', lag: 7 },
  ])('$case: $lag', ({ committed, low, high, lag }) => {
    expect(partitionLag({ committed, low, high })).toBe(lag);
  });
});

type Watermarks = Array<{ partition: number; low: string; high: string }>;

/** An admin client answering from tables, or not at all while `hang` is set. */
class FakeAdmin {
  committed: Record<string, Array<{ partition: number; offset: string }>> = {};
  watermarks: Record<string, Watermarks> = {};
  hang = false;
  refuse = false;
  connects = 0;
  disconnects = 0;
  offsetReads = 0;

  connect(): Promise<void> {
    this.connects++;
    return this.answer(undefined);
  }

  disconnect(): Promise<void> {
    this.disconnects++;
    return Promise.resolve();
  }

  fetchOffsets({ topics }: { groupId: string; topics: string[] }) {
    this.offsetReads++;
    return this.answer(topics.map((topic) => ({ topic, partitions: this.committed[topic] ?? [] })));
  }

  fetchTopicOffsets(topic: string) {
    return this.answer((this.watermarks[topic] ?? []).map((entry) => ({ ...entry, offset: entry.high })));
  }

  private answer<T>(value: T): Promise<T> {
    if (this.hang) return new Promise<T>(() => {});
    if (this.refuse) return Promise.reject(new Error('Connection error: connect ECONNREFUSED'));
    return Promise.resolve(value);
  }
}

describe('ConsumerLag', () => {
  const names = new TopicNames('t1-');
  let admin: FakeAdmin;
  let clock: number;
  let failures: number;

  function lagReader(overrides: Partial<ConsumerLagOptions> = {}): ConsumerLag {
    const kafka = { admin: () => admin as unknown as Admin } as unknown as Kafka;
    return new ConsumerLag({
      kafka,
      names,
      groupId: 't1-routing',
      consumed: () => [Topic.TicketEvents, Topic.AgentEvents],
      cacheMs: 5_000,
      timeoutMs: 2_000,
      onReadFailure: () => failures++,
      now: () => clock,
      ...overrides,
    });
  }

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    admin = new FakeAdmin();
    admin.watermarks = {
      [names.physical(Topic.TicketEvents)]: [
        { partition: 0, low: '0', high: '10' },
        { partition: 1, low: '0', high: '7' },
      ],
      [names.physical(Topic.AgentEvents)]: [{ partition: 0, low: '0', high: '3' }],
    };
    admin.committed = {
      [names.physical(Topic.TicketEvents)]: [
        { partition: 0, offset: '8' },
        { partition: 1, offset: '-1' },
      ],
      [names.physical(Topic.AgentEvents)]: [{ partition: 0, offset: '3' }],
    };
    clock = 1_000_000;
    failures = 0;
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('sums the partitions of each consumed topic under its logical name', async () => {
    const lag = await lagReader().read();
    expect(lag).toEqual(
      new Map([
        [Topic.TicketEvents, 2 + 7],
        [Topic.AgentEvents, 0],
      ]),
    );
    expect(failures).toBe(0);
  });

  it('asks Kafka nothing before the consumer listens', async () => {
    await expect(lagReader({ consumed: () => [] }).read()).resolves.toEqual(new Map());
    expect(admin.connects).toBe(0);
  });

  it('reuses a read for the cache time, then reads again on the same connection', async () => {
    const reader = lagReader();
    await reader.read();
    clock += 4_999;
    await reader.read();
    expect(admin.offsetReads).toBe(1);
    clock += 1;
    admin.committed[names.physical(Topic.TicketEvents)][0].offset = '10';
    await expect(reader.read()).resolves.toEqual(
      new Map([
        [Topic.TicketEvents, 7],
        [Topic.AgentEvents, 0],
      ]),
    );
    expect(admin.offsetReads).toBe(2);
    expect(admin.connects).toBe(1);
  });

  it('reports nothing, not the last lag, when Kafka does not answer in time, and counts the failure once', async () => {
    const reader = lagReader();
    await reader.read();
    clock += 5_000;
    admin.hang = true;
    const scrapes = Promise.all([reader.read(), reader.read()]);
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(scrapes).resolves.toEqual([undefined, undefined]);
    expect(failures).toBe(1);
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      expect.objectContaining({ msg: 'Could not read the consumer lag from Kafka; none is reported' }),
    );

    // The failure is cached too; after it, the fetch still hanging is waited for again, not doubled.
    clock += 1_000;
    await expect(reader.read()).resolves.toBeUndefined();
    clock += 5_000;
    const later = reader.read();
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(later).resolves.toBeUndefined();
    expect(admin.offsetReads).toBe(2);
    expect(failures).toBe(2);
  });

  it('reads nothing once closed', async () => {
    const reader = lagReader();
    await reader.read();
    await reader.close();
    clock += 5_000;
    await expect(reader.read()).resolves.toBeUndefined();
    expect(admin.connects).toBe(1);
    expect(admin.disconnects).toBe(1);
    expect(failures).toBe(0);
  });

  it('drops the connection after a refused read and connects anew for the next', async () => {
    const reader = lagReader();
    await reader.read();
    clock += 5_000;
    admin.refuse = true;
    await expect(reader.read()).resolves.toBeUndefined();
    expect(failures).toBe(1);
    expect(admin.disconnects).toBe(1);

    admin.refuse = false;
    clock += 5_000;
    await expect(reader.read()).resolves.toEqual(
      new Map([
        [Topic.TicketEvents, 9],
        [Topic.AgentEvents, 0],
      ]),
    );
    expect(admin.connects).toBe(2);
  });
});
