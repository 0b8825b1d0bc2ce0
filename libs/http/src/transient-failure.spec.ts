import { KafkaJSConnectionError, KafkaJSNonRetriableError } from 'kafkajs';
import { QueryFailedError } from 'typeorm';
import { describeFailure, isTransientFailure } from './transient-failure';

function pgError(code: string): QueryFailedError {
  return new QueryFailedError(
    'SELECT 1',
    [],
    Object.assign(new Error('duplicate key (email)=(x@example.com)'), { code }),
  );
}

describe('failure classification', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a Postgres admin shutdown', pgError('57P01')],
    ['a connection failure', pgError('08006')],
    ['a deadlock', pgError('40P01')],
    ['a serialization failure', pgError('40001')],
    ['a retriable Kafka error', new KafkaJSConnectionError('broker down')],
    ['a dropped pg connection', new Error('Connection terminated unexpectedly')],
  ])('retries %s until it passes', (_, error) => {
    expect(isTransientFailure(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError('x is undefined')],
    ['a unique violation', pgError('23505')],
    ['a non-retriable Kafka error', new KafkaJSNonRetriableError('bad')],
    ['a non-error value', 'boom'],
  ])('treats %s as the message’s own failure', (_, error) => {
    expect(isTransientFailure(error)).toBe(false);
  });

  it('describes a failure without its message, which may quote customer data', () => {
    const description = describeFailure(pgError('23505'));
    expect(description).toBe('QueryFailedError (23505)');
    expect(description).not.toContain('example.com');
  });
});
