import './tracing';
import 'reflect-metadata';
import { launch, runService } from '@app/messaging';
import { loadSlaConfig } from './config/sla.config';
import { SlaModule } from './sla.module';

launch('sla', async () => {
  const config = loadSlaConfig();
  await runService({
    module: SlaModule.forRoot(config),
    http: config.http,
    title: 'ticketflow sla',
    description: 'SLA policies, calendars and clocks; breaches fire within a second of their deadline.',
  });
});
