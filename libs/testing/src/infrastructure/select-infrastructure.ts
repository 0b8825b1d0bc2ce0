import { spawnSync } from 'node:child_process';

/**
 * Where the tests' Postgres, Redis and Kafka come from:
 * - `docker`: containers started by testcontainers for this run, stopped after it;
 * - `local`: the servers deploy/local/infra.sh runs on this machine (Debian packages, Kafka jars);
 * - `external`: DATABASE_URL, REDIS_URL and KAFKA_BROKERS as the environment gives them.
 */
export type InfrastructureMode = 'docker' | 'local' | 'external';

const MODES: readonly InfrastructureMode[] = ['docker', 'local', 'external'];

/** `INFRA` decides when set; otherwise containers where a Docker engine answers, else local servers. */
export function selectInfrastructure(
  requested: string | undefined,
  dockerEngineAnswers: () => boolean,
): InfrastructureMode {
  if (requested !== undefined && requested !== '') {
    if (!(MODES as readonly string[]).includes(requested)) {
      throw new Error(`INFRA must be one of ${MODES.join(', ')}; got "${requested}"`);
    }
    return requested as InfrastructureMode;
  }
  return dockerEngineAnswers() ? 'docker' : 'local';
}

/**
 * Whether a Docker engine answers, asked the way the docker client finds it (DOCKER_HOST,
 * contexts). A client without an engine fails at once; the timeout covers an engine that hangs.
 */
export function dockerEngineAnswers(timeoutMs = 10_000): boolean {
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  return probe.status === 0 && probe.stdout.trim() !== '';
}
