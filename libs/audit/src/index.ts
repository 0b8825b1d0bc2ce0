export * from './audit-entry.entity';
export * from './audit-log';
export * from './audit.controller';
export * from './audit-table';
