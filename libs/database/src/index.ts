export * from './snake-naming.strategy';
export * from './typeorm-options';
export * from './migrate';
export * from './redis';
export * from './database.module';
export * from './unique-violation';
export * from './job-queue';
export * from './after-commit';
