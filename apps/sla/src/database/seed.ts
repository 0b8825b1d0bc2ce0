import { type DataSource } from 'typeorm';

const ALWAYS = JSON.stringify(
  Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => [day, [['00:00', '24:00']]]),
  ),
);

/**
 * Demo data for tenant `default`: a 24x7 calendar, an `Urgent demo` policy whose 30-second first
 * response target lets the README tour show a breach, and a catch-all `Default` policy. Idempotent.
 */
export async function seedSlaDemo(dataSource: DataSource): Promise<void> {
  await dataSource.transaction(async (manager) => {
    await manager.query(
      `INSERT INTO calendars (tenant, name, timezone, weekly) VALUES ('default', 'Always open', 'UTC', $1)
       ON CONFLICT (tenant, name) DO NOTHING`,
      [ALWAYS],
    );
    const policies = [
      {
        name: 'Urgent demo',
        position: 0,
        match: { priority: 'urgent' },
        targets: { firstResponse: 'PT30S', resolution: 'PT4H' },
      },
      { name: 'Default', position: 1000, match: {}, targets: { firstResponse: 'PT1H', resolution: 'P1D' } },
    ];
    for (const policy of policies) {
      await manager.query(
        `INSERT INTO sla_policies (id, version, tenant, name, position, match, targets, pause_on, warn_at, escalation, current, active)
         SELECT gen_random_uuid(), 1, 'default', $1::text, $2, $3, $4, '{pending,on_hold}', '{0.75}', '[]', true, true
         WHERE NOT EXISTS (SELECT 1 FROM sla_policies WHERE tenant = 'default' AND name = $1::text)`,
        [policy.name, policy.position, JSON.stringify(policy.match), JSON.stringify(policy.targets)],
      );
    }
  });
}
