export * from './durable-timers';
export * from './timer-store';
export * from './timer-table';
