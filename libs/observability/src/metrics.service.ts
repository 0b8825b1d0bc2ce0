import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

type Collect = (gauge: Gauge) => void | Promise<void>;

/**
 * A Prometheus registry per application instance (tests run several apps in one process), with
 * idempotent metric creation so modules can ask for the same metric without coordinating.
 * Labels must never carry personal data or unbounded values such as ids (S4).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    return (
      this.existing<Counter>(name) ?? new Counter({ name, help, labelNames, registers: [this.registry] })
    );
  }

  gauge(name: string, help: string, labelNames: string[] = [], collect?: Collect): Gauge {
    return (
      this.existing<Gauge>(name) ??
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        ...(collect
          ? {
              collect(this: Gauge) {
                return collect(this);
              },
            }
          : {}),
      })
    );
  }

  histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram {
    return (
      this.existing<Histogram>(name) ??
      new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) })
    );
  }

  private existing<T>(name: string): T | undefined {
    return this.registry.getSingleMetric(name) as T | undefined;
  }
}
