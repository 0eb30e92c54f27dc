// Lint rules of the whole workspace. The module-boundary matrix is the architecture in rule
// form: apps → features → data-access → domain → util → gen, never backwards, and a service's
// code (scope) only reaches shared code and its own.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const TYPES = {
  'type:app': ['type:feature', 'type:data-access', 'type:domain', 'type:util', 'type:gen', 'type:telemetry-sdk'],
  'type:feature': ['type:data-access', 'type:domain', 'type:util', 'type:gen'],
  'type:data-access': ['type:domain', 'type:util', 'type:gen'],
  'type:domain': ['type:util', 'type:gen'],
  'type:util': ['type:util', 'type:gen'],
  'type:gen': [],
  'type:telemetry-sdk': [],
  'type:local-env': ['type:util'],
  'type:testing': ['type:local-env', 'type:feature', 'type:data-access', 'type:domain', 'type:util', 'type:gen'],
  'type:e2e': ['type:testing', 'type:local-env', 'type:feature', 'type:data-access', 'type:domain', 'type:util', 'type:gen'],
  'type:tool': ['type:testing', 'type:local-env', 'type:feature', 'type:data-access', 'type:domain', 'type:util', 'type:gen'],
};
const SCOPES = {
  'scope:shared': ['scope:shared'],
  'scope:dedup': ['scope:dedup', 'scope:shared'],
  'scope:crd-writer': ['scope:crd-writer', 'scope:shared'],
  'scope:gateway': ['scope:gateway', 'scope:shared'],
  'scope:ratelimit': ['scope:ratelimit', 'scope:shared'],
  'scope:storm': ['scope:storm', 'scope:shared'],
  'scope:testing': ['scope:dedup', 'scope:crd-writer', 'scope:gateway', 'scope:ratelimit', 'scope:storm', 'scope:shared', 'scope:testing'],
};
const constraints = (extraTypes, extraScopes) => [
  ...Object.entries(TYPES).map(([sourceTag, tags]) => ({ sourceTag, onlyDependOnLibsWithTags: [...new Set([...tags, ...extraTypes])] })),
  ...Object.entries(SCOPES).map(([sourceTag, tags]) => ({ sourceTag, onlyDependOnLibsWithTags: [...new Set([...tags, ...extraScopes])] })),
];
const boundaries = (depConstraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints, banTransitiveDependencies: false, checkDynamicDependenciesExceptions: ['.*'] },
];
// Production code follows the matrix; a project's tests may also use the test harness.
const depConstraints = constraints([], []);
const testDepConstraints = constraints(['type:testing', 'type:local-env'], ['scope:testing']);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'var/', 'coverage/', '.nx/', 'libs/proto/src/gen/', '**/*.mjs', '**/*.cjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Use explicit named exports (no export *).' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: "Only an app's config.ts reads process.env." }],
    },
  },
  {
    // The launchers and the harness hand environments to child processes; run.ts passes\n    // process.env to config.ts; the OTel SDK reads its own OTEL_* variables.
    files: [
      'apps/*/src/run.ts',
      'libs/telemetry-sdk/src/start-telemetry.ts',
      '**/*.test.ts',
      'libs/testing/**/*.ts',
      'libs/local-env/**/*.ts',
      'tools/**/*.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/*.spec.ts', 'e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(testDepConstraints),
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Jest's asymmetric matchers (expect.any, expect.objectContaining) are typed any.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
