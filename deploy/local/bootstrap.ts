/**
 * One-shot preparation of a deployment: every service's schema migrations, every Kafka topic
 * (with its DLQ) at the configured partitions and replication, and — with `--seed` — the demo
 * data for tenant `default` (24x7 calendar, default SLA policy, a team and two agents).
 * Used by `npm run up`, the compose `migrate` service and the Kubernetes bootstrap Job.
 */
import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { kafkaBlock, loadConfig } from '@app/config';
import { ALL_TOPICS } from '@app/contracts';
import { migrateSchema } from '@app/database';
import { createKafkaClient, provisionTopics, TopicNames } from '@app/messaging';
import { createRootLogger } from '@app/observability';
import { loadIntakeConfig } from '../../apps/intake/src/config/intake.config';
import { intakeDataSourceOptions } from '../../apps/intake/src/database/data-source';
import { seedIntakeDemo } from '../../apps/intake/src/database/seed';
import { loadNotificationsConfig } from '../../apps/notifications/src/config/notifications.config';
import { notificationsDataSourceOptions } from '../../apps/notifications/src/database/data-source';
import { loadRoutingConfig } from '../../apps/routing/src/config/routing.config';
import { routingDataSourceOptions } from '../../apps/routing/src/database/data-source';
import { seedRoutingDemo } from '../../apps/routing/src/database/seed';
import { loadSlaConfig } from '../../apps/sla/src/config/sla.config';
import { slaDataSourceOptions } from '../../apps/sla/src/database/data-source';
import { seedSlaDemo } from '../../apps/sla/src/database/seed';

const logger = createRootLogger('bootstrap');

interface ServiceDatabase {
  name: string;
  schema: string;
  options: DataSourceOptions;
  /** Demo data; a service whose defaults ship in code has none. */
  seed?: (dataSource: DataSource) => Promise<unknown>;
}

function serviceDatabases(): ServiceDatabase[] {
  const intake = loadIntakeConfig();
  const routing = loadRoutingConfig();
  const sla = loadSlaConfig();
  const notifications = loadNotificationsConfig();
  return [
    {
      name: 'intake',
      schema: intake.database.schema,
      options: intakeDataSourceOptions(intake),
      seed: seedIntakeDemo,
    },
    {
      name: 'routing',
      schema: routing.database.schema,
      options: routingDataSourceOptions(routing),
      seed: seedRoutingDemo,
    },
    { name: 'sla', schema: sla.database.schema, options: slaDataSourceOptions(sla), seed: seedSlaDemo },
    {
      name: 'notifications',
      schema: notifications.database.schema,
      options: notificationsDataSourceOptions(notifications),
    },
  ];
}

async function prepareDatabase(service: ServiceDatabase, seed: boolean): Promise<void> {
  const dataSource = await new DataSource(service.options).initialize();
  try {
    const applied = await migrateSchema(dataSource, service.schema);
    logger.info({ app: service.name, migrations: applied }, 'Schema up to date');
    if (seed && service.seed) {
      await service.seed(dataSource);
      logger.info({ app: service.name }, 'Demo data seeded');
    }
  } finally {
    await dataSource.destroy();
  }
}

async function prepareTopics(): Promise<void> {
  const { kafka } = loadConfig({ kafka: kafkaBlock('intake') });
  const admin = createKafkaClient(kafka).admin();
  await admin.connect();
  try {
    const created = await provisionTopics(admin, new TopicNames(kafka.topicPrefix), ALL_TOPICS, kafka);
    logger.info({ created }, 'Kafka topics ready');
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const seed = process.argv.includes('--seed');
  await prepareTopics();
  for (const service of serviceDatabases()) await prepareDatabase(service, seed);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'Bootstrap failed');
    process.exit(1);
  },
);
