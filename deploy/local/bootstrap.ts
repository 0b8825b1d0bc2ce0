/**
 * One-shot preparation of a deployment: every service's schema migrations, every Kafka topic
 * (with its DLQ) at the configured partitions and replication, and — with `--seed` — the demo
 * data for tenant `default` (24x7 calendar, default SLA policy, a team and two agents).
 * Used by `npm run up`, the compose `migrate` service and the Kubernetes bootstrap Job.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import {
  type DatabaseConfig,
  databaseBlock,
  type KafkaConfig,
  kafkaBlock,
  loadConfig,
  type ServiceName,
} from '@app/config';
import { ALL_TOPICS } from '@app/contracts';
import { migrateSchema, typeOrmOptions, type TypeOrmOptionsInput } from '@app/database';
import { createKafkaClient, provisionTopics, TopicNames } from '@app/messaging';
import { createRootLogger, logProcessWarnings } from '@app/observability';
import { intakeDatabase } from '../../apps/intake/src/database/data-source';
import { notificationsDatabase } from '../../apps/notifications/src/database/data-source';
import { routingDatabase } from '../../apps/routing/src/database/data-source';
import { seedRoutingDemo } from '../../apps/routing/src/database/seed';
import { slaDatabase } from '../../apps/sla/src/database/data-source';
import { seedSlaDemo } from '../../apps/sla/src/database/seed';

const logger = createRootLogger('bootstrap');
logProcessWarnings(logger);

interface ServiceDatabase {
  name: ServiceName;
  options: (config: { database: DatabaseConfig }) => TypeOrmOptionsInput;
  /** Demo data; a service whose defaults ship in code has none. */
  seed?: (dataSource: DataSource) => Promise<unknown>;
}

/** Only each service's database settings are read, so the job needs no SMTP, Redis or API keys. */
const SERVICES: ServiceDatabase[] = [
  { name: 'intake', options: intakeDatabase },
  { name: 'routing', options: routingDatabase, seed: seedRoutingDemo },
  { name: 'sla', options: slaDatabase, seed: seedSlaDemo },
  { name: 'notifications', options: notificationsDatabase },
];

async function prepareDatabase(
  service: ServiceDatabase,
  database: DatabaseConfig,
  seed: boolean,
): Promise<void> {
  const dataSource = await new DataSource(typeOrmOptions(service.options({ database }))).initialize();
  try {
    const applied = await migrateSchema(dataSource, database.schema);
    logger.info({ app: service.name, migrations: applied }, 'Schema up to date');
    if (seed && service.seed) {
      await service.seed(dataSource);
      logger.info({ app: service.name }, 'Demo data seeded');
    }
  } finally {
    await dataSource.destroy();
  }
}

async function prepareTopics(kafka: KafkaConfig): Promise<void> {
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
  // Every setting is checked before anything is touched, so a bad one changes nothing.
  const { kafka } = loadConfig({ kafka: kafkaBlock('intake') });
  const databases = SERVICES.map((service) => loadConfig({ database: databaseBlock(service.name) }).database);
  await prepareTopics(kafka);
  for (const [i, service] of SERVICES.entries()) await prepareDatabase(service, databases[i], seed);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal({ err: error }, 'Bootstrap failed');
    process.exit(1);
  },
);
