/**
 * npm run redis-report [-- --json] [--prefix ag:]
 *
 * Accounts for every alertgate key in Redis (REDIS_CLUSTER_NODES: every master of the Cluster,
 * each on its own and then all together; else REDIS_URL; else the Redis a running `npm start`
 * recorded in var/endpoints.json; else redis://127.0.0.1:6379) with
 * SCAN (never KEYS): per class count, bytes (MEMORY USAGE), TTL distribution and keys without
 * TTL, plus used_memory, fragmentation and the projected capacity in open incidents. Exits 1
 * when a key has no TTL or belongs to no known class, so it can gate CI.
 */
import { resolve } from 'node:path';

import { errorMessage } from '@alertgate/errors';
import { localEndpointsPath, readLocalEndpoints } from '@alertgate/local-env';
import {
  describeRedisTarget,
  formatKeyspaceReport,
  inspectKeyspace,
  mergeKeyspaceReports,
  parseRedisNodes,
  summarizeKeyspace,
  type KeyspaceReport,
} from '@alertgate/redis';
import { Cluster, Redis } from 'ioredis';

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

/** The servers to report on: the one Redis, or every master of a Cluster. */
async function connect(target: { url: string; from: string }): Promise<{ servers: Redis[]; close: () => void }> {
  const clusterNodes = process.env['REDIS_CLUSTER_NODES'];
  const fail = (err: unknown, where: string, variable: string): Error =>
    new Error(`cannot reach Redis at ${where}: ${errorMessage(err).replace(/\.$/, '')}. Set ${variable} to the Redis to report on.`, { cause: err });
  if (clusterNodes) {
    const nodes = parseRedisNodes('REDIS_CLUSTER_NODES', clusterNodes);
    const cluster = new Cluster(nodes, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { maxRetriesPerRequest: 1 } });
    cluster.on('error', () => undefined);
    try {
      await cluster.connect();
    } catch (err) {
      throw fail(err, `${clusterNodes} (REDIS_CLUSTER_NODES)`, 'REDIS_CLUSTER_NODES');
    }
    return { servers: cluster.nodes('master'), close: () => cluster.disconnect() };
  }
  // One try, no reconnects: a report on an unreachable Redis says so at once.
  const redis = new Redis(target.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    throw fail(err, `${describeRedisTarget({ mode: 'standalone', url: target.url }).redis} (${target.from})`, 'REDIS_URL');
  }
  return { servers: [redis], close: () => redis.disconnect() };
}

function progress(enabled: boolean): (scanned: number, total: number) => void {
  return (scanned, total) => {
    if (!enabled || total < 10_000) return;
    const width = 30;
    const done = Math.min(width, Math.round((scanned / Math.max(total, 1)) * width));
    process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${scanned}/${total} keys`);
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const target = redisTarget();
  const prefix = option('prefix') ?? process.env['REDIS_KEY_PREFIX'] ?? target.prefix ?? 'ag:';
  const { servers, close } = await connect(target);
  try {
    const showProgress = !json && process.stderr.isTTY;
    const reports: { node: string; report: KeyspaceReport }[] = [];
    for (const server of servers) {
      reports.push({
        node: `${server.options.host ?? ''}:${server.options.port ?? ''}`,
        report: await inspectKeyspace(server, prefix, { onProgress: progress(showProgress) }),
      });
      if (showProgress) process.stderr.write('\r\u001b[K');
    }
    const total = summarizeKeyspace(mergeKeyspaceReports(reports.map(({ report }) => report)));
    if (reports.length === 1) {
      process.stdout.write(json ? `${JSON.stringify(total)}\n` : `${formatKeyspaceReport(total)}\n`);
    } else {
      const perNode = reports.map(({ node, report }) => ({ node, ...summarizeKeyspace(report) }));
      process.stdout.write(
        json
          ? `${JSON.stringify({ ...total, masters: perNode })}\n`
          : `${[...perNode.map((summary) => `== master ${summary.node}\n${formatKeyspaceReport(summary)}`), `== all ${reports.length} masters\n${formatKeyspaceReport(total)}`].join('\n\n')}\n`,
      );
    }
    process.exitCode = total.ok ? 0 : 1;
  } finally {
    close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`redis-report failed: ${errorMessage(err)}\n`);
  process.exit(2);
});
