import { LIMITS } from '@app/contracts';
import { deadLetterMessage, deadLetterRecord, replayHeaders } from './dead-letter';

describe('dead letters', () => {
  const original = {
    key: Buffer.from('ticket-1'),
    value: Buffer.from('{"broken"'),
    headers: { traceparent: 'abc' },
    offset: '42',
  };
  const cause = {
    originalTopic: 'staging.tickets.inbound.v1',
    partition: 2,
    consumerGroup: 'staging.ticketflow-intake',
    reason: 'malformed_json',
    detail: 'Unexpected end of JSON input',
    attempts: 1,
    failedAt: new Date('2026-01-02T03:04:05.000Z'),
  };

  it('keeps the original key, value and headers so the message can be fixed and republished', () => {
    const letter = deadLetterMessage(original, cause);
    expect(letter.key).toBe(original.key);
    expect(letter.value).toBe(original.value);
    expect(letter.headers.traceparent).toBe('abc');
  });

  it('says where it came from and why, in dlq-* headers', () => {
    expect(deadLetterMessage(original, cause).headers).toMatchObject({
      'dlq-reason': 'malformed_json',
      'dlq-detail': 'Unexpected end of JSON input',
      'dlq-original-topic': 'staging.tickets.inbound.v1',
      'dlq-original-partition': '2',
      'dlq-original-offset': '42',
      'dlq-consumer-group': 'staging.ticketflow-intake',
      'dlq-attempts': '1',
      'dlq-failed-at': '2026-01-02T03:04:05.000Z',
    });
  });

  it('bounds the detail so a huge validation report cannot overflow the headers', () => {
    const letter = deadLetterMessage(original, { ...cause, detail: 'x'.repeat(50_000) });
    expect(letter.headers['dlq-detail']).toHaveLength(1_000);
  });

  describe("the record in the service's table", () => {
    it('keeps the original key, value and headers, and says where it came from and why', () => {
      const record = deadLetterRecord(original, 'tickets.inbound.v1', cause, 'acme');
      expect(record).toMatchObject({
        consumerGroup: 'staging.ticketflow-intake',
        topic: 'tickets.inbound.v1',
        partition: 2,
        offset: '42',
        tenant: 'acme',
        reason: 'malformed_json',
        attempts: 1,
        createdAt: cause.failedAt,
        kept: true,
      });
      expect(record.key).toEqual(original.key);
      expect(record.value).toEqual(original.value);
      expect(replayHeaders(record.headers)).toEqual({ traceparent: Buffer.from('abc') });
      expect(record.bytes).toBe('ticket-1'.length + '{"broken"'.length + 'traceparentabc'.length);
    });

    it('keeps binary and repeated headers byte for byte and drops any dlq-* header', () => {
      const binary = Buffer.from([0, 255, 1, 254]);
      const record = deadLetterRecord(
        {
          ...original,
          headers: { signature: binary, hop: [Buffer.from('a'), Buffer.from('b')], 'dlq-reason': 'old' },
        },
        'tickets.inbound.v1',
        cause,
        null,
      );
      expect(replayHeaders(record.headers)).toEqual({
        signature: binary,
        hop: [Buffer.from('a'), Buffer.from('b')],
      });
    });

    it('counts but does not keep a record larger than a consumer accepts', () => {
      const value = Buffer.alloc(LIMITS.eventBytes + 1, 32);
      const record = deadLetterRecord({ ...original, value }, 'tickets.inbound.v1', cause, null);
      expect(record).toMatchObject({ kept: false, key: null, value: null, headers: [] });
      expect(record.bytes).toBeGreaterThan(LIMITS.eventBytes);
    });

    it('bounds the detail as the headers do', () => {
      const record = deadLetterRecord(
        original,
        'tickets.inbound.v1',
        { ...cause, detail: 'x'.repeat(5_000) },
        null,
      );
      expect(record.detail).toHaveLength(1_000);
    });

    it('stores a detail naming a key with a NUL character, which Postgres text cannot hold', () => {
      const record = deadLetterRecord(
        original,
        'sla.events.v1',
        { ...cause, detail: 'data.\u0000: invalid' },
        null,
      );
      expect(record.detail).toBe('data.\ufffd: invalid');
    });
  });
});
