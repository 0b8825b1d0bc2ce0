import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { currentCorrelation } from './correlation-context';
import { CorrelationIdMiddleware } from './correlation-id.middleware';
import { activeTraceFields } from './tracing/trace-context';

/**
 * Anything that might hold personal data is censored wherever it appears in a logged object (S4).
 * Request and response logging is reduced to method, route, status and timing for the same reason.
 */
const REDACT = [
  'req.headers',
  '*.authorization',
  '*.email',
  '*.phone',
  '*.name',
  '*.body',
  '*.subject',
  '*.customer',
  '*.agent',
  'email',
  'phone',
  'customer',
];

function baseOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    mixin: () => {
      const correlation = currentCorrelation();
      return {
        ...(correlation && { correlationId: correlation.correlationId, tenant: correlation.tenant }),
        ...activeTraceFields(),
      };
    },
  };
}

/** A logger for code outside Nest (CLIs, fatal start-up errors), with the same fields and redaction. */
export function createRootLogger(service: string, level = 'info'): Logger {
  return pino(baseOptions(service, level));
}

export interface LoggingOptions {
  service: string;
  level?: string;
  /** Paths whose next segment is a credential (a survey link's token): logged as `:token`. */
  tokenPaths?: readonly string[];
}

/** The request path as access logs show it: no query string, no credential. */
export function loggedPath(url: string, tokenPaths: readonly string[] = []): string {
  const path = url.split('?')[0];
  const prefix = tokenPaths.find((candidate) => path.startsWith(candidate));
  if (prefix === undefined) return path;
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  return `${prefix}:token${slash === -1 ? '' : rest.slice(slash)}`;
}

@Module({})
export class LoggingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationIdMiddleware).forRoutes('*');
  }

  static forRoot(options: LoggingOptions): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            ...baseOptions(options.service, options.level ?? 'info'),
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            quietReqLogger: true,
            customProps: () => ({}),
            serializers: {
              req: (req: { method: string; url: string }) => ({
                method: req.method,
                path: loggedPath(req.url, options.tokenPaths),
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            wrapSerializers: false,
          },
        }),
      ],
    };
  }
}
