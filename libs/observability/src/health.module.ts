import { type DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { MetricsService } from './metrics.service';
import { singleFlight } from './single-flight';

const STATUS_VALUE = { up: 1, degraded: 0.5, down: 0 } as const;

@Module({})
export class HealthModule {
  static forRoot(): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      controllers: [HealthController],
      providers: [
        {
          provide: HealthService,
          inject: [{ token: MetricsService, optional: true }],
          useFactory: (metrics: MetricsService | undefined) => {
            const health = new HealthService();
            // Scraped, so a degraded dependency shows on a dashboard even when nobody probes readiness;
            // both gauges of one scrape share one run of the checks.
            const readinessNow = singleFlight(() => health.readiness());
            metrics?.gauge(
              'dependency_up',
              'Each readiness check at scrape time: 1 up, 0.5 degraded (not needed to serve), 0 down',
              ['check'],
              async (gauge) => {
                const report = await readinessNow();
                for (const [check, { status }] of Object.entries(report.checks)) {
                  gauge.set({ check }, STATUS_VALUE[status]);
                }
              },
            );
            metrics?.gauge(
              'service_ready',
              'What /health/ready answers at scrape time: 1 ready (200), 0 not ready or draining (503)',
              [],
              async (gauge) => {
                gauge.set((await readinessNow()).ready ? 1 : 0);
              },
            );
            return health;
          },
        },
      ],
      exports: [HealthService],
    };
  }
}
