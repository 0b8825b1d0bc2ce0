import { type DynamicModule, Inject, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HealthService } from '@app/observability';
import { migrateSchema } from './migrate';
import { typeOrmOptions, type TypeOrmOptionsInput } from './typeorm-options';

const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

/** Runs pending migrations before anything else touches the database, and reports readiness. */
@Injectable()
class DatabaseLifecycle implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    @Inject(DATABASE_OPTIONS) private readonly options: TypeOrmOptionsInput,
    private readonly dataSource: DataSource,
    private readonly health: HealthService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.register('postgres', async () => {
      await this.dataSource.query('SELECT 1');
    });
    if (!this.options.database.migrateOnStart) return;
    const applied = await migrateSchema(this.dataSource, this.options.database.schema);
    if (applied.length > 0) this.logger.log({ msg: 'Applied migrations', migrations: applied });
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(input: TypeOrmOptionsInput): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...typeOrmOptions(input), retryAttempts: 3, retryDelay: 1_000 })],
      providers: [{ provide: DATABASE_OPTIONS, useValue: input }, DatabaseLifecycle],
    };
  }
}
