/** @jest-config-loader ts-node */
import type { Config } from 'jest';
import { pathsToModuleNameMapper } from 'ts-jest';
import { compilerOptions } from './tsconfig.json';

// One base so the three tiers resolve `@app/*` aliases exactly as the compiler does.
export function jestConfig(overrides: Config): Config {
  return {
    rootDir: __dirname,
    testEnvironment: 'node',
    moduleFileExtensions: ['ts', 'js', 'json'],
    transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
    moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.infra/'],
    ...overrides,
  };
}
