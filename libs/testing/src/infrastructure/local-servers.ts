import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { type InfrastructureUrls, URL_NAMES } from './infrastructure-urls';

export const REPO_ROOT = resolve(__dirname, '../../../..');

/**
 * The machine's own servers, brought up by deploy/local/infra.sh (idempotent) and left running
 * for the next run: Postgres and Redis from Debian packages, a Kafka broker from Maven Central jars.
 */
export function startLocalServers(): InfrastructureUrls {
  const script = resolve(REPO_ROOT, 'deploy/local/infra.sh');
  const env = { ...process.env, INFRA: 'local' };
  execFileSync('bash', [script, 'up'], { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  const printed = execFileSync('bash', [script, 'env'], { env, encoding: 'utf8' });
  const urls: Partial<InfrastructureUrls> = {};
  for (const line of printed.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match && (URL_NAMES as readonly string[]).includes(match[1])) {
      urls[match[1] as keyof InfrastructureUrls] = match[2].replace(/^['"]|['"]$/g, '');
    }
  }
  for (const name of URL_NAMES) {
    if (!urls[name]) throw new Error(`deploy/local/infra.sh env did not print ${name}`);
  }
  return urls as InfrastructureUrls;
}
