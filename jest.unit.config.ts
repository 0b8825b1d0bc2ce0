/** @jest-config-loader ts-node */
import { jestConfig } from './jest.base.config';

export default jestConfig({
  displayName: 'unit',
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/deploy/**/*.spec.ts'],
});
