import { Topic } from '@app/contracts';
import { ApiError, decodePageCursor, type Principal } from '@app/http';
import { type KafkaEventTransport } from '../transport/kafka-event.transport';
import { type DeadLetterPageQuery, type DeadLetterStore, type StoredDeadLetter } from './dead-letter-store';
import { DeadLettersController } from './dead-letters.controller';

const agent: Principal = { tenant: 'acme', role: 'agent', keyId: 'a1', operator: false };
const operator: Principal = { tenant: 'default', role: 'admin', keyId: 'o1', operator: true };

function stored(overrides: Partial<StoredDeadLetter> = {}): StoredDeadLetter {
  return {
    id: '6f1c7e3a-5d1b-4a5e-9c61-0a3f7f0b2c11',
    topic: Topic.TicketEvents,
    partition: 1,
    offset: '7',
    tenant: 'acme',
    reason: 'handler_failed',
    detail: 'TypeError',
    attempts: 5,
    key: Buffer.from('ticket-1'),
    bytes: 40,
    kept: true,
    createdAt: new Date('2026-12-01T10:00:00.000Z'),
    replayCount: 0,
    replayedAt: null,
    replayedBy: null,
    ...overrides,
  };
}

describe('the dead letters API', () => {
  let pages: Array<{ reader: unknown; query: DeadLetterPageQuery }>;
  let rows: StoredDeadLetter[];
  const controller = () => {
    const store = {
      page: (reader: unknown, query: DeadLetterPageQuery) => {
        pages.push({ reader, query });
        return Promise.resolve(rows);
      },
    } as unknown as DeadLetterStore;
    const transport = { subscribedTopics: () => [Topic.TicketEvents] } as unknown as KafkaEventTransport;
    return new DeadLettersController(store, transport);
  };

  beforeEach(() => {
    pages = [];
    rows = [];
  });

  it("shows agents their tenant's dead letters without reading the original value or headers", async () => {
    rows = [stored()];
    const page = await controller().list(agent, {});
    expect(pages[0]).toEqual({
      reader: { tenant: 'acme', operator: false },
      query: { topic: undefined, cursor: undefined, limit: 50, withMessage: false },
    });
    expect(page.items[0]).toMatchObject({ key: 'ticket-1', keyEncoding: 'utf8', reason: 'handler_failed' });
    expect(page.items[0]).not.toHaveProperty('value');
    expect(page.items[0]).not.toHaveProperty('headers');
  });

  it('shows admins the value and headers, as text where they are UTF-8 and base64 where not', async () => {
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    rows = [
      stored({
        value: Buffer.from('{"id":"e1"}'),
        headers: [
          ['traceparent', Buffer.from('00-abc').toString('base64')],
          ['signature', binary.toString('base64')],
        ],
      }),
    ];
    const page = await controller().list(operator, {});
    expect(pages[0].reader).toEqual({ tenant: 'default', operator: true });
    expect(pages[0].query.withMessage).toBe(true);
    expect(page.items[0]).toMatchObject({
      value: '{"id":"e1"}',
      valueEncoding: 'utf8',
      headers: [
        { name: 'traceparent', value: '00-abc', encoding: 'utf8' },
        { name: 'signature', value: binary.toString('base64'), encoding: 'base64' },
      ],
    });
  });

  it('pages by a cursor that resumes after the last row shown', async () => {
    rows = [stored(), stored({ id: '7a2d8f4b-6e2c-4b6f-8d72-1b4a8a1c3d22' })];
    const page = await controller().list(agent, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(decodePageCursor(page.nextCursor ?? '')).toEqual({
      createdAt: '2026-12-01T10:00:00.000Z',
      id: '6f1c7e3a-5d1b-4a5e-9c61-0a3f7f0b2c11',
    });
    rows = [stored()];
    expect((await controller().list(agent, { limit: 1 })).nextCursor).toBeNull();
  });

  it('refuses a topic this service does not consume, naming the field', async () => {
    const refusal = await controller()
      .list(agent, { topic: Topic.SlaEvents })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).getStatus()).toBe(400);
    expect((refusal as ApiError).details?.[0].field).toBe('topic');
    expect(pages).toEqual([]);
  });
});
