// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const APPS = ['intake', 'routing', 'sla', 'notifications'];

/** An app may import libs (through `@app/*`) and itself, never another app; nobody reaches across with `../..`. */
const appBoundary = (app) => ({
  files: [`apps/${app}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...APPS.filter((other) => other !== app).map((other) => ({
            group: [`**/apps/${other}/**`, `**/${other}/src/**`],
            message: 'Apps never import other apps; share through Kafka events in @app/contracts.',
          })),
          { group: ['**/libs/**'], message: 'Import libraries through their @app/* alias.' },
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.infra/**',
      'coverage/**',
      '*.config.mjs',
      '.dependency-cruiser.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...APPS.map(appBoundary),
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**', '@apps/*'], message: 'Libraries never import apps.' }] },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'libs/testing/**/*.ts', 'test/**/*.ts'],
    rules: {
      // Response bodies under test are untyped JSON by nature (supertest's `any`).
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Scripts and tests report to the terminal.
    files: ['deploy/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'libs/testing/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
