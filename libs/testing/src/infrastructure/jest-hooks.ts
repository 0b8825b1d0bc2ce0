import { provideInfrastructure, type ProvidedInfrastructure } from './provide-infrastructure';

/** Global setup and teardown run in the same Jest process; this carries what setup started. */
const STARTED = Symbol.for('ticketflow.test-infrastructure');
type WithInfrastructure = typeof globalThis & { [STARTED]?: ProvidedInfrastructure };

/** Jest global setup: real servers for every integration and e2e test; workers inherit the URLs. */
export async function setUpInfrastructure(): Promise<void> {
  const infrastructure = await provideInfrastructure();
  (globalThis as WithInfrastructure)[STARTED] = infrastructure;
  Object.assign(process.env, infrastructure.urls);
  process.stderr.write(`[infra] tests use ${infrastructure.mode} infrastructure\n`);
}

/** Jest global teardown: stops the containers setup started; local servers stay for the next run. */
export async function tearDownInfrastructure(): Promise<void> {
  const infrastructure = (globalThis as WithInfrastructure)[STARTED];
  delete (globalThis as WithInfrastructure)[STARTED];
  await infrastructure?.stop();
}
