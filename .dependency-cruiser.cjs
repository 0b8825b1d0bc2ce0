/** The architecture, enforced: apps import libs, libs never import apps, no app imports another. */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-other-app',
      severity: 'error',
      comment: 'Services talk only through Kafka events; share code through libs/.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      severity: 'error',
      comment: 'Libraries are reusable by every app and must not depend on one.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-production-to-testing',
      severity: 'error',
      comment: 'Test infrastructure never ships inside a service.',
      from: { path: '^(apps|libs)/[^/]+/src/', pathNot: '(\\.spec|\\.int-spec)\\.ts$|^libs/testing/' },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      // A cycle made only of type imports (TypeORM's two-sided relations) loads nothing at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^dist/|^\\.infra/|node_modules)' },
  },
};
