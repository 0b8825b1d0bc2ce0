import './tracing';
import 'reflect-metadata';
import { launch, runService } from '@app/messaging';
import { loadNotificationsConfig } from './config/notifications.config';
import { NotificationsModule } from './notifications.module';

launch('notifications', async () => {
  const config = loadNotificationsConfig();
  await runService({
    module: NotificationsModule.forRoot(config),
    http: config.http,
    title: 'ticketflow notifications',
    description:
      'Customer and agent notifications over SMTP, exactly once per reason, with a ledger of every delivery.',
  });
});
