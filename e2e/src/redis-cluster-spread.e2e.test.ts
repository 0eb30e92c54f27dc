import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { DedupStore, DEDUP_DEFAULTS } from '@alertgate/dedup';
import { RedisCluster, type RedisServer } from '@alertgate/local-env';
import { Source, Status, type Signal } from '@alertgate/proto';
import { RATE_LIMIT_DEFAULTS, RateLimiter } from '@alertgate/ratelimit';
import {
  connectRedis,
  createRedisClient,
  KEY_CLASSES,
  KeySchema,
  keySlot,
  NO_REPLICA_WAIT,
  type ClassReport,
  type KeyClass,
  type KeyspaceReport,
  type RedisClient,
} from '@alertgate/redis';
import { STORM_DEFAULTS, StormStore } from '@alertgate/storm';
import { repoRoot } from '@alertgate/testing';
import { Redis } from 'ioredis';

const INCIDENTS = 100_000;
const STORM_KEYS = 10_000;
const NAMESPACES = 2_000;
const BATCH = 500;

const fingerprint = (i: number): string => createHash('sha256').update(`incident-${i}`).digest('hex');

const signal = (i: number): Signal => {
  const namespace = `ns-${i % STORM_KEYS}`;
  return {
    fingerprint: fingerprint(i),
    alertname: 'PodCrashLooping',
    severity: 'warning',
    namespace,
    target: { kind: 'pod', name: `pod-${i}` },
    cluster: '',
    pod: '',
    status: Status.STATUS_FIRING,
    source: Source.SOURCE_ALERTMANAGER,
    labels: { alertname: 'PodCrashLooping', namespace, pod: `pod-${i}` },
    annotations: {},
  };
};

/** A client of each master's own, to count keys and script calls per master. */
function direct(masters: readonly RedisServer[]): Redis[] {
  return masters.map((node) => new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 0 }));
}

async function countKeys(node: Redis, keys: KeySchema, keyClass: KeyClass): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', keys.pattern(keyClass), 'COUNT', 1000);
    cursor = next;
    count += batch.length;
  } while (cursor !== '0');
  return count;
}

async function scriptCalls(node: Redis): Promise<number> {
  const stats = await node.info('commandstats');
  const calls = (name: string): number => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  return calls('evalsha') + calls('eval');
}

/**
 * Every class spread over a real Cluster of 3 masters and 3 replicas: each shard or storm key is
 * a hash tag of its own, and a batch is one script call per master it touches (run-per-node.ts).
 */
describe('dedup, storm and rate limits spread over a real Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: RedisCluster;
  let client: RedisClient;
  let masters: Redis[];
  const keys = new KeySchema('ag:');
  let dedup: DedupStore;
  let storms: StormStore;
  let limiter: RateLimiter;
  beforeAll(async () => {
    cluster = await new RedisCluster({ masters: 3, replicasPerMaster: 1, maxmemory: '256mb' }).start();
    const nodes = cluster.addresses.map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) }));
    client = createRedisClient(
      { topology: { mode: 'cluster', nodes }, keyPrefix: 'ag:', connectTimeoutMs: 2_000, commandTimeoutMs: 10_000, replicaWait: NO_REPLICA_WAIT },
      'spread-test',
    );
    await connectRedis(client);
    masters = direct(await cluster.masters());
    dedup = new DedupStore(client, keys, DEDUP_DEFAULTS);
    storms = new StormStore(client, keys, {
      keyLabels: ['namespace', 'alertname'],
      defaults: { ...STORM_DEFAULTS, rateThreshold: 1_000_000, patternThreshold: 1_000_000 },
      overrides: new Map(),
    });
    // Slow namespaces: a limiter's hash lives until it is full again, here for minutes.
    limiter = new RateLimiter(client, keys, { ...RATE_LIMIT_DEFAULTS, namespace: { perSecond: 0.01, burst: 100 } });
  }, 60_000);
  afterAll(async () => {
    for (const master of masters ?? []) master.disconnect();
    client?.disconnect();
    await cluster?.dispose();
  });

  it(`holds 33% ± 10% of the dedup, storm and limiter keys on each master with ${INCIDENTS.toLocaleString('en')} open incidents`, async () => {
    for (let from = 0; from < INCIDENTS; from += BATCH) {
      const batch = Array.from({ length: BATCH }, (_v, k) => from + k);
      const decisions = await dedup.checkBatch(batch.map((i) => ({ fingerprint: fingerprint(i), resolved: false })));
      expect(decisions.every((d) => d.outcome === 'new')).toBe(true);
      await storms.evaluate(batch.map((i) => ({ signal: signal(i), newIncident: true })));
    }
    for (let from = 0; from < NAMESPACES; from += 100) {
      await limiter.reserveCreations(Array.from({ length: 100 }, (_v, k) => ({ namespace: `ns-${from + k}`, count: 1 })));
    }
    for (const keyClass of [KEY_CLASSES.dedup, KEY_CLASSES.storm, KEY_CLASSES.ratelimit]) {
      const counts = await Promise.all(masters.map((master) => countKeys(master, keys, keyClass)));
      const total = counts.reduce((sum, n) => sum + n, 0);
      const shares = counts.map((count) => count / total);
      const balanced = total > 0 && shares.every((share) => share >= 0.233 && share <= 0.433);
      expect(balanced ? 'balanced' : `${keyClass.name}: ${counts.join(' / ')} keys`).toBe('balanced');
    }
    // Every incident counted once, wherever its shard lives.
    const entries = await Promise.all(
      masters.map(async (master) => {
        let sum = 0;
        let cursor = '0';
        do {
          const [next, batch] = await master.scan(cursor, 'MATCH', keys.pattern(KEY_CLASSES.dedup), 'COUNT', 1000);
          cursor = next;
          for (const key of batch) sum += await master.hlen(key);
        } while (cursor !== '0');
        return sum;
      }),
    );
    expect(entries.reduce((sum, n) => sum + n, 0)).toBe(INCIDENTS);
  }, 300_000);

  it('is accounted for master by master, and in all, by npm run redis-report', () => {
    const nodes = cluster.addresses.join(',');
    const run = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'tools', 'redis-report.js'), '--json', '--prefix', 'ag:'], {
      env: { ...process.env, REDIS_CLUSTER_NODES: nodes },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      ok: boolean;
      bytesPerIncident: number;
      report: KeyspaceReport;
      masters: { node: string; report: KeyspaceReport }[];
    };
    expect(summary.ok).toBe(true);
    expect(summary.masters).toHaveLength(3);
    const dedupOf = (report: KeyspaceReport): ClassReport | undefined => report.classes.find((cls) => cls.name === 'dedup');
    expect(dedupOf(summary.report)?.entries).toBe(INCIDENTS);
    expect(summary.masters.map(({ report }) => dedupOf(report)?.entries ?? 0).reduce((sum, n) => sum + n, 0)).toBe(INCIDENTS);
    // The memory target holds on the Cluster too: at most 64 bytes per open incident.
    expect(summary.bytesPerIncident).toBeLessThanOrEqual(64);
    process.stdout.write(
      `redis-report on the Cluster: ${summary.bytesPerIncident} bytes per open incident over ${summary.masters.length} masters (${summary.masters.map(({ report }) => dedupOf(report)?.entries).join(' / ')} incidents)\n`,
    );
  }, 180_000);

  it('sends one script call per master that a batch touches', async () => {
    const before = await Promise.all(masters.map(scriptCalls));
    const decisions = await dedup.checkBatch(Array.from({ length: 50 }, (_v, i) => ({ fingerprint: fingerprint(i), resolved: false })));
    expect(decisions.every((d) => d.outcome === 'duplicate' && d.incident?.occurrences === 2)).toBe(true);
    const afterDedup = await Promise.all(masters.map(scriptCalls));
    expect(afterDedup.map((calls, m) => calls - (before[m] ?? 0))).toEqual([1, 1, 1]);

    await storms.evaluate(Array.from({ length: 50 }, (_v, i) => ({ signal: signal(i), newIncident: false })));
    const afterStorm = await Promise.all(masters.map(scriptCalls));
    expect(afterStorm.map((calls, m) => calls - (afterDedup[m] ?? 0))).toEqual([1, 1, 1]);

    // A source gates its namespaces' budgets; on a Cluster they may live on other masters, so
    // the gate goes first: at most two rounds of one call per master.
    const [admission] = await limiter.admit([{ source: 'am:spread', demands: Array.from({ length: 12 }, (_v, i) => ({ namespace: `gate-${i}`, count: 1 })) }]);
    expect(admission?.source.admitted).toBe(true);
    expect(admission?.grants.map((grant) => grant.granted)).toEqual(Array.from({ length: 12 }, () => 1));
    const afterLimits = await Promise.all(masters.map(scriptCalls));
    const limitCalls = afterLimits.map((calls, m) => calls - (afterStorm[m] ?? 0));
    expect(limitCalls.every((calls) => calls <= 2)).toBe(true);
    expect(limitCalls.reduce((sum, n) => sum + n, 0)).toBe(4);
  });

  it('takes no budget for a refused source, though its namespaces live on other masters', async () => {
    const refusing = new RateLimiter(client, keys, {
      ...RATE_LIMIT_DEFAULTS,
      source: { perSecond: 0.01, burst: 1 },
      namespace: { perSecond: 0.01, burst: 100 },
    });
    const demands = Array.from({ length: 12 }, (_v, i) => ({ namespace: `refused-${i}`, count: 1 }));
    const [first] = await refusing.admit([{ source: 'am:refused', demands }]);
    expect(first?.source.admitted).toBe(true);
    const [second] = await refusing.admit([{ source: 'am:refused', demands }]);
    expect(second?.source.admitted).toBe(false);
    expect(second?.grants.every((grant) => grant.granted === 0)).toBe(true);
    // Charged by the first admission and by this reservation only: 98 of 100 left, not 97.
    const after = await refusing.reserveCreations(demands);
    expect(after.map((grant) => grant.remaining)).toEqual(demands.map(() => 98));
  });

  it('regroups a batch whose slot moved (resharding) and counts each delivery once', async () => {
    // Two incidents whose shards live on one master: the batch's group for it routes by the
    // first, so after the second's slot moves, the call reaches a master that no longer has it.
    const byMaster = new Map<number, number[]>();
    for (let i = 0; i < 200; i++) {
      const port = (await cluster.masterOf(dedup.shardKey(fingerprint(i)))).port;
      byMaster.set(port, [...(byMaster.get(port) ?? []), i]);
    }
    const slotOf = (i: number): number => keySlot(dedup.shardKey(fingerprint(i)));
    const [port, onOne = []] = [...byMaster.entries()].find(([, list]) => list.length >= 2) ?? [];
    const stay = onOne[0] ?? 0;
    const moving = onOne.find((i) => slotOf(i) !== slotOf(stay)) ?? 0;
    const target = (await cluster.masters()).find((node) => node.port !== port);
    await cluster.moveSlot(slotOf(moving), target!);

    const decisions = await dedup.checkBatch([stay, moving].map((i) => ({ fingerprint: fingerprint(i), resolved: false })));
    // Each was counted twice before (the spread test and the per-master test) where i < 50.
    const expected = (i: number): number => (i < 50 ? 3 : 2);
    expect(decisions.map((d) => [d.outcome, d.incident?.occurrences])).toEqual([
      ['duplicate', expected(stay)],
      ['duplicate', expected(moving)],
    ]);
    expect((await cluster.masterOf(dedup.shardKey(fingerprint(moving)))).port).toBe(target!.port);
  });
});
