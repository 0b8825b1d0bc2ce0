import { externalUrls, type InfrastructureUrls } from './infrastructure-urls';
import { startLocalServers } from './local-servers';
import { dockerEngineAnswers, type InfrastructureMode, selectInfrastructure } from './select-infrastructure';

export interface ProvidedInfrastructure {
  mode: InfrastructureMode;
  urls: InfrastructureUrls;
  /** Stops what this call started: the containers; local servers and external ones stay. */
  stop(): Promise<void>;
}

/**
 * The one entry point to the test infrastructure, for Jest's global setup, the benchmarks and the
 * API fuzzer: chooses per `INFRA` (see selectInfrastructure) and returns the three URLs.
 * Containers that a caller never stops are removed by testcontainers' reaper when it exits.
 */
export async function provideInfrastructure(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProvidedInfrastructure> {
  const mode = selectInfrastructure(env.INFRA, dockerEngineAnswers);
  const nothingToStop = async () => {};
  switch (mode) {
    case 'docker': {
      // Loaded only here: the other modes never pay for testcontainers and its Docker client.
      const { startContainers } = await import('./containers');
      const containers = await startContainers();
      return { mode, urls: containers.urls, stop: () => containers.stop() };
    }
    case 'local':
      return { mode, urls: startLocalServers(), stop: nothingToStop };
    case 'external':
      return { mode, urls: externalUrls(env), stop: nothingToStop };
  }
}
