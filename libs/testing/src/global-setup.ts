import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { RedisServer } from '@alertgate/local-env';

/**
 * Runs once before all tests: builds the service bundles that end-to-end tests start as
 * processes, and starts the suite's own Redis with a small maxmemory and noeviction, so that
 * a leak shows up as an OOM error instead of silently growing (the seed document's failure).
 */
export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  const root = globalConfig.rootDir;
  execFileSync(process.execPath, [join(root, 'tools', 'build', 'build-apps.mjs'), '--tools'], { stdio: 'inherit' });
  const server = await new RedisServer({ maxmemory: '32mb', maxmemoryPolicy: 'noeviction' }).start();
  (globalThis as { alertgateTestRedis?: RedisServer }).alertgateTestRedis = server;
  process.env['ALERTGATE_TEST_REDIS_URL'] = server.url;
  process.env['ALERTGATE_ROOT'] = root;
}
