import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { createAuditTable, dropAuditTable } from '@app/audit';
import { NOTIFICATIONS_AUDITED } from '../../notifications.tokens';

/** Operators' resends of deliveries are recorded, as routing records admin changes. */
export class AuditLog1765710000000 implements MigrationInterface {
  name = 'AuditLog1765710000000';

  async up(runner: QueryRunner): Promise<void> {
    await createAuditTable(runner, NOTIFICATIONS_AUDITED);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropAuditTable(runner);
  }
}
