import { type QueryRunner } from 'typeorm';

const quoted = (values: readonly string[]) =>
  values.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ');

/** The `audit_log` table of one service, which names the entity types and actions it records. */
export async function createAuditTable(
  runner: QueryRunner,
  { entityTypes, actions }: { entityTypes: readonly string[]; actions: readonly string[] },
): Promise<void> {
  await runner.query(`
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      tenant text NOT NULL,
      entity_type text NOT NULL CHECK (entity_type IN (${quoted(entityTypes)})),
      entity_id uuid NOT NULL,
      action text NOT NULL CHECK (action IN (${quoted(actions)})),
      actor text NOT NULL,
      before jsonb,
      after jsonb,
      at timestamptz NOT NULL DEFAULT now()
    )`);
  await runner.query('CREATE INDEX audit_log_entity_idx ON audit_log (tenant, entity_type, entity_id, id)');
}

export async function dropAuditTable(runner: QueryRunner): Promise<void> {
  await runner.query('DROP TABLE audit_log');
}
