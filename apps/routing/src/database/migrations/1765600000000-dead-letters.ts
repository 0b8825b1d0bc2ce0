import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createDeadLetterTable, dropDeadLetterTable } from '@app/messaging';

/** What the consumer dead-letters is recorded here too, to be listed and replayed over HTTP. */
export class DeadLetters1765600000000 implements MigrationInterface {
  name = 'DeadLetters1765600000000';

  async up(runner: QueryRunner): Promise<void> {
    await createDeadLetterTable(runner);
  }

  /** The release before this one writes no such rows; the DLQ topics keep every dead letter. */
  async down(runner: QueryRunner): Promise<void> {
    await dropDeadLetterTable(runner);
  }
}
