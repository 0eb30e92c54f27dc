/**
 * npm run redis-report [-- --json] [--prefix ag:]
 *
 * Accounts for every alertgate key in Redis (REDIS_URL; else the Redis a running `npm start`
 * recorded in var/endpoints.json; else redis://127.0.0.1:6379) with
 * SCAN (never KEYS): per class count, bytes (MEMORY USAGE), TTL distribution and keys without
 * TTL, plus used_memory, fragmentation and the projected capacity in open incidents. Exits 1
 * when a key has no TTL or belongs to no known class, so it can gate CI.
 */
import { resolve } from 'node:path';

import { localEndpointsPath, readLocalEndpoints } from '@alertgate/local-env';
import { describeRedisTarget, formatKeyspaceReport, inspectKeyspace, summarizeKeyspace } from '@alertgate/redis';
import { Redis } from 'ioredis';

const root = resolve(__dirname, '..', '..');

/** Which Redis to report on, and where that choice came from (named when it cannot be reached). */
function redisTarget(): { url: string; prefix: string | undefined; from: string } {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) return { url: fromEnv, prefix: undefined, from: 'REDIS_URL' };
  const started = readLocalEndpoints(root);
  if (started) return { url: started.redisUrl, prefix: started.keyPrefix, from: `${localEndpointsPath(root)}, written by npm start` };
  return { url: 'redis://127.0.0.1:6379', prefix: undefined, from: 'the default; no npm start is running' };
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const target = redisTarget();
  const prefix = option('prefix') ?? process.env['REDIS_KEY_PREFIX'] ?? target.prefix ?? 'ag:';
  // One try, no reconnects: a report on an unreachable Redis says so at once.
  const redis = new Redis(target.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    throw new Error(`cannot reach Redis at ${describeRedisTarget({ mode: 'standalone', url: target.url }).redis} (${target.from}): ${(err instanceof Error ? err.message : String(err)).replace(/\.$/, '')}. Set REDIS_URL to the Redis to report on.`, { cause: err });
  }
  try {
    const showProgress = !json && process.stderr.isTTY;
    const report = await inspectKeyspace(redis, prefix, {
      onProgress: (scanned, total) => {
        if (!showProgress || total < 10_000) return;
        const width = 30;
        const done = Math.min(width, Math.round((scanned / Math.max(total, 1)) * width));
        process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${scanned}/${total} keys`);
      },
    });
    if (showProgress) process.stderr.write('\r\u001b[K');
    const summary = summarizeKeyspace(report);
    process.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${formatKeyspaceReport(summary)}\n`);
    process.exitCode = summary.ok ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`redis-report failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
