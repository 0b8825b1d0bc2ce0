import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A policy's name is its key in the policy document, so it is unique among a tenant's live
 * policies. Live duplicates from before are renamed first: the one that matches first keeps the
 * name, each later one gets the first free " (2)", " (3)", … suffix. The rename is made in place on
 * the current version, as an admin's rename would have been, so clocks keep their policy version.
 */
export class UniquePolicyNames1764810000000 implements MigrationInterface {
  name = 'UniquePolicyNames1764810000000';

  async up(runner: QueryRunner): Promise<void> {
    const live = (await runner.query(
      `SELECT id, tenant, name FROM sla_policies WHERE current AND active
       ORDER BY tenant, position, created_at, id`,
    )) as Array<{ id: string; tenant: string; name: string }>;
    const taken = new Map<string, Set<string>>();
    for (const { tenant, name } of live) {
      const names = taken.get(tenant) ?? new Set<string>();
      names.add(name);
      taken.set(tenant, names);
    }
    const kept = new Set<string>();
    for (const policy of live) {
      const key = `${policy.tenant}\u0000${policy.name}`;
      if (!kept.has(key)) {
        kept.add(key);
        continue;
      }
      const names = taken.get(policy.tenant)!;
      let n = 2;
      while (names.has(`${policy.name} (${n})`)) n += 1;
      const renamed = `${policy.name} (${n})`;
      names.add(renamed);
      await runner.query('UPDATE sla_policies SET name = $1 WHERE id = $2 AND current', [renamed, policy.id]);
    }
    await runner.query(
      'CREATE UNIQUE INDEX sla_policies_name_idx ON sla_policies (tenant, name) WHERE current AND active',
    );
  }

  /** Renamed duplicates keep their suffix: the old names are not recorded anywhere to restore. */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX sla_policies_name_idx');
  }
}
