import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');

/** Brings the shared Postgres, Redis and Kafka up (idempotent) and returns their URLs. */
export function ensureInfrastructure(): Record<'DATABASE_URL' | 'REDIS_URL' | 'KAFKA_BROKERS', string> {
  const script = resolve(REPO_ROOT, 'deploy/local/infra.sh');
  if (process.env.INFRA !== 'external') {
    execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  }
  const printed = execFileSync('bash', [script, 'env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const line of printed.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2].replace(/^['"]|['"]$/g, '');
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS'] as const) {
    if (!env[name]) throw new Error(`deploy/local/infra.sh env did not print ${name}`);
  }
  return env;
}
