/** @jest-config-loader ts-node */
import { jestConfig } from './jest.base.config';

export default jestConfig({
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 180_000,
  maxWorkers: 1,
});
