import { Test } from '@nestjs/testing';
import { HealthModule } from './health.module';
import { HealthService } from './health.service';
import { MetricsModule } from './metrics.module';
import { MetricsService } from './metrics.service';

describe('readiness metrics', () => {
  async function start(): Promise<{ health: HealthService; scrape: () => Promise<string> }> {
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ service: 'probe' }), HealthModule.forRoot()],
    })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    const metrics = moduleRef.get(MetricsService);
    return { health: moduleRef.get(HealthService), scrape: () => metrics.registry.metrics() };
  }

  it('service_ready follows what /health/ready would answer, and one scrape runs each check once', async () => {
    const { health, scrape } = await start();
    let postgresUp = true;
    let postgresChecks = 0;
    health.register('postgres', () => {
      postgresChecks++;
      return postgresUp ? Promise.resolve() : Promise.reject(new Error('connection refused'));
    });
    health.register('smtp', () => Promise.reject(new Error('relay down')), { required: false });

    let exposition = await scrape();
    expect(exposition).toContain('service_ready{service="probe"} 1');
    expect(exposition).toContain('dependency_up{check="postgres",service="probe"} 1');
    expect(exposition).toContain('dependency_up{check="smtp",service="probe"} 0.5');
    expect(postgresChecks).toBe(1);

    postgresUp = false;
    exposition = await scrape();
    expect(exposition).toContain('service_ready{service="probe"} 0');
    expect(exposition).toContain('dependency_up{check="postgres",service="probe"} 0');

    postgresUp = true;
    health.setNotReady('SIGTERM');
    expect(await scrape()).toContain('service_ready{service="probe"} 0');
    health.clearNotReady();
    expect(await scrape()).toContain('service_ready{service="probe"} 1');
    expect(postgresChecks).toBe(4);
  });
});
