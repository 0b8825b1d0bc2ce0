import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC exception handler replaces a handler's error with `{ status, message }` and
 * logs its message. The transport needs the original error to tell an outage (retry) from a bug
 * (DLQ), and messages may quote customer data, so errors pass through untouched and unlogged here.
 */
@Catch()
export class PropagateErrorsFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
