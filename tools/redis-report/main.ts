/**
 * npm run redis-report [-- --json] [--prefix ag:]
 *
 * Accounts for every alertgate key in Redis (REDIS_URL, default redis://127.0.0.1:6379) with
 * SCAN (never KEYS): per class count, bytes (MEMORY USAGE), TTL distribution and keys without
 * TTL, plus used_memory, fragmentation and the projected capacity in open incidents. Exits 1
 * when a key has no TTL or belongs to no known class, so it can gate CI.
 */
import { formatKeyspaceReport, inspectKeyspace, summarizeKeyspace } from '@alertgate/redis';
import { Redis } from 'ioredis';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const prefix = option('prefix') ?? process.env['REDIS_KEY_PREFIX'] ?? 'ag:';
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
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
