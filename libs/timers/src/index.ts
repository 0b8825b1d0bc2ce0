export * from './durable-timers';
export { type DueTimer } from './timer-store';
export * from './timer-table';
