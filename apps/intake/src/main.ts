import './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
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
  if (config.publishers.length === 0) {
    new Logger('Inbound').warn({
      msg: 'INBOUND_PUBLISHERS is empty: every record on tickets.inbound.v1 is dead-lettered as unauthenticated',
    });
  }
});
