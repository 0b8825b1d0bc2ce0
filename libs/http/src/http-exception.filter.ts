import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { type Response } from 'express';
import { type Observable, throwError } from 'rxjs';
import { describeFailure, isTransientFailure } from './transient-failure';

/** How long a caller should wait before retrying during a dependency outage. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

const CODES: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
};

interface BodyParserError extends Error {
  type: string;
  status?: number;
}

/** Every HTTP error is JSON `{ code, message, details? }` with a stable code; stacks never leave the process. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    // Kafka handlers: hand the original error back to the transport, which decides retry or DLQ.
    if (host.getType() !== 'http') return throwError(() => exception);
    const response = host.switchToHttp().getResponse<Response>();
    if (isTransientFailure(exception)) {
      // Postgres, Redis or Kafka is away: gateways and publishers retry a 503, not a 500.
      this.logger.warn({ msg: 'Dependency unavailable', failure: describeFailure(exception) });
      response
        .status(HttpStatus.SERVICE_UNAVAILABLE)
        .setHeader('retry-after', String(OUTAGE_RETRY_AFTER_SECONDS))
        .type('application/json')
        .json({
          code: 'dependency_unavailable',
          message: 'A service this request needs is unavailable; retry later',
        });
      return;
    }
    const { status, body } = this.describe(exception);
    if (status >= 500) {
      this.logger.error({
        msg: 'Unhandled error',
        error: exception instanceof Error ? exception.name : typeof exception,
        stack: exception instanceof Error ? exception.stack : undefined,
      });
    }
    // Explicitly: res.json() keeps a content type the route already set (a survey page's
    // text/html), and the error body is JSON whatever the route would have answered.
    response.status(status).type('application/json').json(body);
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown> } {
    const parserError = bodyParserErrorIn(exception);
    const parserFailure = parserError && describeBodyParserError(parserError);
    if (parserFailure) return parserFailure;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      if (typeof payload === 'object' && payload !== null && 'code' in payload)
        return { status, body: payload };
      const message =
        typeof payload === 'string'
          ? payload
          : ((payload as { message?: unknown }).message ?? exception.message);
      return {
        status,
        body: {
          code: CODES[status] ?? `http_${status}`,
          message: Array.isArray(message)
            ? message.join('; ')
            : typeof message === 'string'
              ? message
              : JSON.stringify(message),
        },
      };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { code: 'internal_error', message: 'Internal server error' },
    };
  }
}

/**
 * The body parsers' errors carry a `type`. Nest wraps those of them that are http-errors in an
 * HttpException with the original as its cause; either way the original says what went wrong.
 */
function bodyParserErrorIn(exception: unknown): BodyParserError | undefined {
  const candidate = exception instanceof HttpException ? exception.cause : exception;
  if (candidate instanceof Error && typeof (candidate as BodyParserError).type === 'string') {
    return candidate as BodyParserError;
  }
  return undefined;
}

function describeBodyParserError(
  parserError: BodyParserError,
): { status: number; body: Record<string, unknown> } | undefined {
  if (parserError.type === 'entity.too.large') {
    return { status: 413, body: { code: 'payload_too_large', message: 'The request body is too large' } };
  }
  if (parserError.type === 'entity.too.deep') {
    return {
      status: 400,
      body: { code: 'body_too_deep', message: parserError.message },
    };
  }
  if (parserError.type === 'entity.parse.failed') {
    return { status: 400, body: { code: 'malformed_json', message: 'The request body is not valid JSON' } };
  }
  // The client's side of reading a body (it hung up, an unsupported charset or encoding): a 4xx
  // the client caused, not a failure of ours to log with a stack.
  if ((parserError.status ?? 500) >= 500) return undefined;
  const status = parserError.status ?? HttpStatus.BAD_REQUEST;
  return {
    status,
    body: { code: CODES[status] ?? `http_${status}`, message: 'The request body could not be read' },
  };
}
