/** @jest-config-loader ts-node */
import { jestConfig } from './jest.base.config';

// Integration tests share one real Postgres/Redis/Kafka; each test file isolates itself
// with its own database, Redis key prefix and Kafka topic prefix (see libs/testing).
export default jestConfig({
  displayName: 'integration',
  testMatch: ['<rootDir>/apps/**/*.int-spec.ts', '<rootDir>/libs/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
});
