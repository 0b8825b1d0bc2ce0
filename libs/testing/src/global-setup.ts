import { ensureInfrastructure } from './infra-env';

/** Jest global setup: real servers for every integration and e2e test; workers inherit the URLs. */
export default function globalSetup(): void {
  const env = ensureInfrastructure();
  Object.assign(process.env, env);
}
