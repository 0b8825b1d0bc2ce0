import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** A calendar may also close on a country's public holidays. */
export class CalendarCountry1764500000000 implements MigrationInterface {
  name = 'CalendarCountry1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE calendars ADD COLUMN country text');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE calendars DROP COLUMN country');
  }
}
