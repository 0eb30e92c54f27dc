import { randomBytes } from 'node:crypto';

import { parseRedisNodes } from '@alertgate/redis';
import { Cluster, Redis } from 'ioredis';

/** Set by the global setup: the suite's own Redis (maxmemory 32mb, noeviction). */
export function testRedisUrl(): string {
  const url = process.env['ALERTGATE_TEST_REDIS_URL'];
  if (!url) throw new Error('ALERTGATE_TEST_REDIS_URL is not set: run the tests with npm test (the global setup starts Redis)');
  return url;
}

/**
 * Set by the global setup when the suite runs on a Redis Cluster (ALERTGATE_TEST_REDIS=cluster):
 * host:port of its masters, as REDIS_CLUSTER_NODES takes them; undefined on one Redis.
 */
export function testRedisClusterNodes(): string | undefined {
  return process.env['ALERTGATE_TEST_REDIS_CLUSTER_NODES'] || undefined;
}

/** The environment that points a service at the suite's Redis Cluster (empty on one Redis). */
export function testRedisEnv(): Record<string, string> {
  const nodes = testRedisClusterNodes();
  return nodes ? { REDIS_CLUSTER_NODES: nodes } : {};
}

export type TestRedisClient = Redis | Cluster;

/** A client of the suite's Redis: the one server, or the Cluster. */
export function testRedisClient(): TestRedisClient {
  const nodes = testRedisClusterNodes();
  if (!nodes) return new Redis(testRedisUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
  return new Cluster(parseRedisNodes('ALERTGATE_TEST_REDIS_CLUSTER_NODES', nodes), { redisOptions: { maxRetriesPerRequest: 1 } });
}

/** The servers that hold keys: the one Redis, or every master of the Cluster (once it is ready). */
async function servers(redis: TestRedisClient): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis.nodes('master');
}

export function newPrefix(label: string): string {
  return `t:${label.replace(/[^a-z0-9]/gi, '').slice(0, 12)}${randomBytes(3).toString('hex')}:`;
}

export interface KeyAudit {
  readonly keys: number;
  readonly withoutTtl: readonly string[];
}

/** Every key under a prefix, found with SCAN on every server; the ones without TTL are named. */
export async function auditPrefix(redis: TestRedisClient, prefix: string): Promise<KeyAudit & { all: string[] }> {
  const all: string[] = [];
  for (const server of await servers(redis)) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      all.push(...batch);
    } while (cursor !== '0');
  }
  const ttls = await Promise.all(all.map((key) => redis.pttl(key)));
  // -1: the key has no TTL (a leak). -2: it expired between SCAN and PTTL, which is its TTL at
  // work (a 10,000/s limiter's hash lives about a millisecond), not a leak.
  return { keys: all.length, withoutTtl: all.filter((_key, i) => (ttls[i] ?? -1) === -1), all };
}

/**
 * A key prefix of one's own in the suite's Redis (tests never share state: docs/design.md §8).
 * `verifyAndClean()` fails when any key under the prefix has no TTL, then deletes them all, so
 * the global teardown's leak check only finds keys that a test forgot.
 */
export class RedisTestScope {
  readonly prefix: string;
  readonly redis: TestRedisClient;

  constructor(label: string) {
    this.prefix = newPrefix(label);
    this.redis = testRedisClient();
  }

  async keys(): Promise<string[]> {
    return (await auditPrefix(this.redis, this.prefix)).all;
  }

  async verifyAndClean(): Promise<void> {
    const audit = await auditPrefix(this.redis, this.prefix);
    // One DEL per key: on a Cluster the keys live in many slots.
    await Promise.all(audit.all.map((key) => this.redis.del(key)));
    this.redis.disconnect();
    if (audit.withoutTtl.length > 0) throw new Error(`keys without TTL under ${this.prefix}: ${audit.withoutTtl.join(', ')}`);
  }
}
