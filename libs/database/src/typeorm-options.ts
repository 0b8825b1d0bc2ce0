import { type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { type DatabaseConfig } from '@app/config';
import { AfterCommitSubscriber } from './after-commit';
import { SnakeNamingStrategy } from './snake-naming.strategy';

export interface TypeOrmOptionsInput {
  database: DatabaseConfig;
  /** Shown in pg_stat_activity, so an operator can tell the services apart. */
  applicationName: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity list type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own migration list type
  migrations: MixedList<Function | string>;
}

/** One definition for Nest and for the migration CLI; schema changes only ever happen through migrations. */
export function typeOrmOptions(input: TypeOrmOptionsInput): DataSourceOptions {
  return {
    type: 'postgres',
    url: input.database.url,
    schema: input.database.schema,
    applicationName: input.applicationName,
    entities: input.entities,
    migrations: input.migrations,
    subscribers: [AfterCommitSubscriber],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    // search_path makes hand-written SQL (migrations, inbox, outbox) land in the service's own schema.
    extra: {
      max: input.database.poolMax,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${input.database.schema}`,
    },
  };
}
