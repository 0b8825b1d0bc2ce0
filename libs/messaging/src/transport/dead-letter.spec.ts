import { deadLetterMessage } from './dead-letter';

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
});
