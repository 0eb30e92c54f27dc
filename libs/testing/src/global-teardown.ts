import { stopKubeEnv, type KubeEnv, type RedisCluster, type RedisServer } from '@alertgate/local-env';
import { formatKeyspaceReport, inspectKeyspace, mergeKeyspaceReports, summarizeKeyspace } from '@alertgate/redis';
import { Cluster, Redis } from 'ioredis';

import { auditPrefix, testRedisClient, testRedisClusterNodes, type TestRedisClient } from './test-redis.js';

/** INFO memory of the one server, or of the Cluster's masters summed (as redis-report does). */
async function account(redis: TestRedisClient): Promise<string> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  return formatKeyspaceReport(summarizeKeyspace(mergeKeyspaceReports(await Promise.all(servers.map((server) => inspectKeyspace(server, ''))))));
}

/**
 * Runs once after all tests: the suite fails when any key was left behind or any key has no TTL,
 * and it prints what the suite's Redis used at its peak, so that every run says how much memory
 * the tests took (docs/design.md §8).
 */
export default async function globalTeardown(): Promise<void> {
  const kube = (globalThis as { alertgateTestKube?: KubeEnv }).alertgateTestKube;
  const server = (globalThis as { alertgateTestRedis?: RedisServer | RedisCluster }).alertgateTestRedis;
  // Once per run, though both the integration and the end-to-end projects name it.
  delete (globalThis as { alertgateTestKube?: KubeEnv }).alertgateTestKube;
  delete (globalThis as { alertgateTestRedis?: RedisServer | RedisCluster }).alertgateTestRedis;
  // Only a server this run started is stopped; one from `npm run k8s:up` keeps running.
  if (kube?.started) await stopKubeEnv(kube.dir);
  if (!server) return;
  // By its environment, not instanceof: the setup's classes may come from another module registry.
  const redis = testRedisClusterNodes() ? testRedisClient() : new Redis((server as RedisServer).url);
  try {
    const audit = await auditPrefix(redis, '');
    // The same account `npm run redis-report` gives, for the suite's own Redis (every test's
    // keys have been deleted by now: anything listed is a leak).
    process.stdout.write(`\n${await account(redis)}\n`);
    const memory = await (redis instanceof Cluster ? (redis.nodes('master')[0] ?? redis) : redis).info('memory');
    const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(memory)?.[1]?.trim() ?? '?';
    process.stdout.write(
      `\nTest Redis: peak used_memory ${field('used_memory_peak_human')} (${field('used_memory_peak')} bytes) of maxmemory ${field('maxmemory_human')}, ` +
        `fragmentation ratio ${field('mem_fragmentation_ratio')}, keys left ${audit.keys}, keys without TTL ${audit.withoutTtl.length}\n`,
    );
    if (audit.keys > 0) {
      throw new Error(`Redis leak check: ${audit.keys} keys left behind by the tests, e.g. ${audit.all.slice(0, 10).join(', ')}`);
    }
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}
