import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Agents by id, from routing's events, so an escalation naming `agent:<id>` reaches them. */
export class AgentDirectory1764800000000 implements MigrationInterface {
  name = 'AgentDirectory1764800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE agents (
        tenant text NOT NULL,
        agent_id uuid NOT NULL,
        name text NOT NULL,
        email text NOT NULL,
        team_id uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, agent_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE agents');
  }
}
