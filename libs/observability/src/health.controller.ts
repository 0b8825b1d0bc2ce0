import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { Public } from '@app/http';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Public()
  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is up and serving HTTP' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  @ApiOperation({
    summary:
      'Every dependency the service needs answers; 503 otherwise, and while draining. A dependency it only delivers to shows as degraded.',
  })
  async ready(@Res({ passthrough: true }) response: Response): Promise<object> {
    const report = await this.health.readiness();
    response.status(report.ready ? 200 : 503);
    return {
      status: report.ready ? 'ok' : 'unavailable',
      checks: report.checks,
      ...(report.draining ? { draining: report.draining } : {}),
    };
  }
}
