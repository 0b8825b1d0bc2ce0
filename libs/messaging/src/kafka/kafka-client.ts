import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { type KafkaConfig } from '@app/config';

const LEVELS: Record<logLevel, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.NOTHING]: 'debug',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs become structured JSON lines of the service logger. */
export function createKafkaClient(config: KafkaConfig): Kafka {
  const kafkaLogger = new Logger('kafkajs');
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl as SASLOptions | undefined,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, namespace, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
        kafkaLogger[LEVELS[level]]({ namespace, msg: message, ...extra });
      },
  });
}
