import 'reflect-metadata';
import { launch, runService } from '@app/messaging';
import { loadIntakeConfig } from './config/intake.config';
import { IntakeModule } from './intake.module';

launch('intake', async () => {
  const config = loadIntakeConfig();
  await runService({
    module: IntakeModule.forRoot(config),
    http: config.http,
    title: 'ticketflow intake',
    description: 'Tickets, messages and customers from every channel; the inbound edge of the workflow.',
  });
});
