import { type EntityManager } from 'typeorm';

/**
 * What an `@HandlesEvent` handler receives beside the event. `manager` is the transaction that
 * already holds the inbox row: write every effect and outbox event through it, so they commit
 * (or roll back) together with the record that the event was processed.
 */
export interface EventContext {
  manager: EntityManager;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
}
