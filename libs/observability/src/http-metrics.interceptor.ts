import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { type Observable, tap } from 'rxjs';
import { type Histogram } from 'prom-client';
import { MetricsService } from './metrics.service';

/** Request latency by route pattern (`/v1/tickets/:id`), never by raw URL: no ids or PII in labels. */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  private readonly duration: Histogram;

  constructor(metrics: MetricsService) {
    this.duration = metrics.histogram('http_request_duration_seconds', 'HTTP request latency', [
      'method',
      'route',
      'status_code',
    ]);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
    const stop = this.duration.startTimer({ method: request.method, route });
    const record = () => stop({ status_code: String(response.statusCode) });
    return next.handle().pipe(tap({ next: record, error: () => stop({ status_code: 'error' }) }));
  }
}
