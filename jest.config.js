// One Jest run for the whole workspace (npm test): unit tests next to the code (*.spec.ts),
// integration tests on real Redis (libs/*/test/*.int.test.ts) and end-to-end tests on real
// processes (e2e/src/*.e2e.test.ts). The global setup starts the suite's Redis and builds
// the bundles; the global teardown fails the run on leaked or TTL-less keys.
const { readFileSync } = require('node:fs');

const { compilerOptions } = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8'));
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('/', '\\/')}$`] = `<rootDir>/${target}`;
}

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.int.test.ts', '<rootDir>/e2e/**/*.e2e.test.ts', '<rootDir>/tools/**/*.spec.ts'],
  transform: { '^.+\\.(t|m?j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  // @kubernetes/client-node and its auth dependencies are ESM-only.
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper,
  globalSetup: '<rootDir>/libs/testing/jest-global-setup.cjs',
  globalTeardown: '<rootDir>/libs/testing/jest-global-teardown.cjs',
  maxWorkers: 2,
  testTimeout: 30000,
};
