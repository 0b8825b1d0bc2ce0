import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { ClockUpdatedAt1764600000000 } from './1764600000000-clock-updated-at';

/**
 * The timer reconciler that read `updated_at` is gone with the durable timers: its trigger and
 * index only cost every clock write, the timer drain's included.
 */
export class DropClockChangeTracking1765210000000 implements MigrationInterface {
  name = 'DropClockChangeTracking1765210000000';

  async up(runner: QueryRunner): Promise<void> {
    await new ClockUpdatedAt1764600000000().down(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await new ClockUpdatedAt1764600000000().up(runner);
  }
}
