// Three Jest projects (npm test runs them all): unit tests next to the code (*.spec.ts, fakes
// only), integration tests on real Redis (libs/*/test/*.int.test.ts) and end-to-end tests on
// real processes (e2e/src/*.e2e.test.ts). The global setup of the last two starts the suite's
// Redis and API server and builds the bundles; the global teardown fails the run on leaked or
// TTL-less keys.
const { readFileSync } = require('node:fs');

const { compilerOptions } = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8'));
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('/', '\\/')}$`] = `<rootDir>/${target}`;
}

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|m?j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  // @kubernetes/client-node and its auth dependencies are ESM-only.
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper,
};
// Jest runs a project's global setup only when a test of that project runs: `npm run test:unit`
// (--selectProjects unit) needs no Redis and no API server. The setup is idempotent, so that the
// integration and end-to-end projects share one Redis and one API server.
const realParts = {
  globalSetup: '<rootDir>/libs/testing/jest-global-setup.cjs',
  globalTeardown: '<rootDir>/libs/testing/jest-global-teardown.cjs',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'] },
    { ...common, ...realParts, displayName: 'integration', testMatch: ['<rootDir>/libs/**/*.int.test.ts'] },
    { ...common, ...realParts, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'] },
    // The images built and run with podman (root, as CI runs): tools/images.
    { ...common, ...realParts, displayName: 'deploy', testMatch: ['<rootDir>/e2e/**/*.deploy.test.ts'] },
  ],
  maxWorkers: 2,
  testTimeout: 30000,
};
