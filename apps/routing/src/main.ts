import './tracing';
import 'reflect-metadata';
import { launch, runService } from '@app/messaging';
import { loadRoutingConfig } from './config/routing.config';
import { RoutingModule } from './routing.module';

launch('routing', async () => {
  const config = loadRoutingConfig();
  await runService({
    module: RoutingModule.forRoot(config),
    http: config.http,
    title: 'ticketflow routing',
    description:
      'Agents, teams and routing rules; assigns every ticket to the right agent with free capacity.',
  });
});
