import { Logger } from '@nestjs/common';
import { connect as connectTcp, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { type ISocketFactory, Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import { type KafkaConfig } from '@app/config';

const LEVELS: Record<logLevel, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.NOTHING]: 'debug',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs's own sockets, with Nagle's algorithm off as node-postgres and ioredis have it. With it
 * on, a small request written while another is unanswered on the same connection (a produce
 * behind a fetch, an offset commit behind a heartbeat) waits for the broker's delayed ACK, tens of
 * milliseconds added to every hop.
 */
const socketWithoutDelay: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : connectTcp({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

/** A kafkajs client whose own logs become structured JSON lines of the service logger. */
export function createKafkaClient(config: KafkaConfig): Kafka {
  const kafkaLogger = new Logger('kafkajs');
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl as SASLOptions | undefined,
    socketFactory: socketWithoutDelay,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    // Reconnecting at most 3 s apart: a broker back from a restart is found within 3 s of it.
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 3_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, namespace, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
        kafkaLogger[LEVELS[level]]({ namespace, msg: message, ...extra });
      },
  });
}
