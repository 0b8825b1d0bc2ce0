import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { keyInboxByTenant, unkeyInboxByTenant } from '@app/messaging';

/** The inbox tells two tenants' events with the same source and id apart. */
export class InboxKeyedByTenant1765000000000 implements MigrationInterface {
  name = 'InboxKeyedByTenant1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    await keyInboxByTenant(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await unkeyInboxByTenant(runner);
  }
}
