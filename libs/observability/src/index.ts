export * from './correlation-context';
export * from './correlation-id.middleware';
export * from './logging.module';
export * from './process-warnings';
export * from './metrics.service';
export * from './metrics.module';
export * from './health.service';
export * from './health.module';
