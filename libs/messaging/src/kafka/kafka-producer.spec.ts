import { type Kafka, type Producer } from 'kafkajs';
import { KafkaProducer, lostProducerState } from './kafka-producer';

/** As kafkajs reports a broker that lost the producer's sequence numbers. */
function protocolError(type: string): Error {
  return Object.assign(new Error(`The broker said ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    code: 45,
  });
}

/** kafkajs producers as far as KafkaProducer uses them, each answering sends from a script. */
function fakeKafka(sends: Array<Array<() => Promise<void>>>) {
  const made: Array<{ connects: number; disconnects: number; batches: number }> = [];
  const kafka = {
    producer: () => {
      const script = sends[made.length] ?? [];
      const record = { connects: 0, disconnects: 0, batches: 0 };
      made.push(record);
      return {
        events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
        on: () => undefined,
        connect: () => Promise.resolve(void record.connects++),
        disconnect: () => Promise.resolve(void record.disconnects++),
        sendBatch: async () => {
          const answer = script[record.batches++] ?? (() => Promise.resolve());
          await answer();
        },
      } as unknown as Producer;
    },
  } as unknown as Kafka;
  return { kafka, made };
}

const batch = [{ topic: 'tickets.events.v1', messages: [{ key: 't-1', value: '{}' }] }];

describe('KafkaProducer', () => {
  it('replaces a producer whose sequence numbers the broker lost, and the retry goes through the new one', async () => {
    const lost = protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER');
    const { kafka, made } = fakeKafka([[() => Promise.reject(lost), () => Promise.reject(lost)]]);
    const producer = new KafkaProducer(kafka);
    await producer.connect();

    await expect(producer.send(batch)).rejects.toBe(lost);
    expect(made).toHaveLength(2);
    expect(made[0]).toMatchObject({ disconnects: 1 });

    await producer.send(batch);
    expect(made[1]).toEqual({ connects: 1, disconnects: 0, batches: 1 });
    expect(made[0].batches).toBe(1);
  });

  it('keeps its producer through any other failure, which the caller retries as it is', async () => {
    const down = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    const { kafka, made } = fakeKafka([[() => Promise.reject(down)]]);
    const producer = new KafkaProducer(kafka);
    await producer.connect();

    await expect(producer.send(batch)).rejects.toBe(down);
    await producer.send(batch);
    expect(made).toHaveLength(1);
    expect(made[0]).toEqual({ connects: 1, disconnects: 0, batches: 2 });
  });

  it.each([
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', true],
    ['UNKNOWN_PRODUCER_ID', true],
    ['INVALID_PRODUCER_EPOCH', true],
    ['NOT_LEADER_FOR_PARTITION', false],
  ])('tells a lost producer state by its protocol error type: %s', (type, lost) => {
    expect(lostProducerState(protocolError(type))).toBe(lost);
    expect(lostProducerState(new Error('retries exceeded', { cause: protocolError(type) }))).toBe(lost);
  });

  it('does not take a plain error for a lost producer state', () => {
    expect(lostProducerState(new Error('socket hang up'))).toBe(false);
    expect(lostProducerState('OUT_OF_ORDER_SEQUENCE_NUMBER')).toBe(false);
  });
});
