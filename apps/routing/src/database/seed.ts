import { type DataSource } from 'typeorm';

/** Demo data for tenant `default`: a Support team with two online agents. Safe to run again. */
export async function seedRoutingDemo(dataSource: DataSource): Promise<void> {
  await dataSource.transaction(async (manager) => {
    await manager.query(
      `INSERT INTO teams (tenant, name, skills) VALUES ('default', 'Support', '{}') ON CONFLICT (tenant, name) DO NOTHING`,
    );
    const [team] = await manager.query<Array<{ id: string }>>(
      `SELECT id FROM teams WHERE tenant = 'default' AND name = 'Support'`,
    );
    const agents = [
      ['Ada Demo', 'ada@example.com', ['lang:en', 'lang:tr']],
      ['Bob Demo', 'bob@example.com', ['lang:en', 'lang:el']],
    ] as const;
    for (const [name, email, skills] of agents) {
      await manager.query(
        `INSERT INTO agents (tenant, name, email, skills, capacity, status, team_id)
         VALUES ('default', $1, $2, $3, 5, 'online', $4) ON CONFLICT (tenant, email) DO NOTHING`,
        [name, email, skills, team.id],
      );
    }
  });
}
