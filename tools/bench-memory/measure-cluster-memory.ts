/**
 * The Redis Cluster part of `npm run bench:memory`: the same classes written through the real
 * stores on a Cluster of 3 masters started here, used_memory summed over the masters.
 */
import { createHash } from 'node:crypto';

import { DEDUP_DEFAULTS, DedupStore } from '@alertgate/dedup';
import { RedisCluster } from '@alertgate/local-env';
import { RATE_LIMIT_DEFAULTS, RateLimiter } from '@alertgate/ratelimit';
import { connectRedis, createRedisClient, KeySchema, NO_REPLICA_WAIT } from '@alertgate/redis';
import { STORM_DEFAULTS, StormStore } from '@alertgate/storm';
import { podSignal } from '@alertgate/testing';
import { Redis } from 'ioredis';

export interface ClusterMemoryResult {
  readonly masters: number;
  readonly incidents: number;
  readonly bytesPerIncident: number;
  /** Each master's share of the incidents' memory (its used_memory growth over the total). */
  readonly incidentShares: readonly number[];
  readonly limiters: number;
  readonly bytesPerLimiter: number;
  readonly detectionKeys: number;
  readonly detectionBytesPerKey: number;
  /** One storm of stormAlerts alerts: MEMORY USAGE of its key, on whichever master holds it. */
  readonly stormAlerts: number;
  readonly stormBytes: number;
}

const fingerprintOf = (i: number): string => createHash('sha256').update(`cluster-bench-${i}`).digest('hex');

async function usedMemory(masters: readonly Redis[]): Promise<number[]> {
  return Promise.all(masters.map(async (master) => Number(/^used_memory:(\d+)/m.exec(await master.info('memory'))?.[1] ?? 0)));
}

/** Memory growth of each master while `write` runs. */
async function growth(masters: readonly Redis[], write: () => Promise<void>): Promise<number[]> {
  const before = await usedMemory(masters);
  await write();
  return (await usedMemory(masters)).map((after, m) => after - (before[m] ?? 0));
}

const perItem = (deltas: readonly number[], items: number): number => Math.round((deltas.reduce((sum, d) => sum + d, 0) / items) * 10) / 10;

export async function measureClusterMemory(incidents: number, limiters: number, detectionKeys: number, stormAlerts: number): Promise<ClusterMemoryResult> {
  const cluster = await new RedisCluster({ masters: 3, maxmemory: '2gb' }).start();
  const nodes = (await cluster.masters()).map((node) => ({ host: '127.0.0.1', port: node.port }));
  const client = createRedisClient(
    { topology: { mode: 'cluster', nodes }, keyPrefix: 'ag:', connectTimeoutMs: 2_000, commandTimeoutMs: 10_000, replicaWait: NO_REPLICA_WAIT },
    'bench-memory',
  );
  const masters = nodes.map(({ host, port }) => new Redis({ host, port }));
  try {
    await connectRedis(client);
    const keys = new KeySchema('ag:');
    const dedup = new DedupStore(client, keys, DEDUP_DEFAULTS);
    const limiter = new RateLimiter(client, keys, { ...RATE_LIMIT_DEFAULTS, namespace: { perSecond: 0.01, burst: 100 } });
    const storms = new StormStore(client, keys, { defaults: STORM_DEFAULTS, overrides: new Map(), keyLabels: ['namespace', 'alertname'] });
    // Warm-up: every master loads the scripts (their cache is not per-item memory).
    await dedup.checkBatch(Array.from({ length: 50 }, (_v, i) => ({ fingerprint: fingerprintOf(-1 - i), resolved: false })));
    await limiter.reserveCreations(Array.from({ length: 50 }, (_v, i) => ({ namespace: `warm-${i}`, count: 1 })));
    await storms.evaluate(Array.from({ length: 50 }, (_v, i) => ({ signal: podSignal(`warm-${i}`, 'Warm', 'p'), newIncident: true })));

    const dedupGrowth = await growth(masters, async () => {
      for (let from = 0; from < incidents; from += 500) {
        await dedup.checkBatch(Array.from({ length: Math.min(500, incidents - from) }, (_v, k) => ({ fingerprint: fingerprintOf(from + k), resolved: false })));
      }
    });
    const limiterGrowth = await growth(masters, async () => {
      for (let from = 0; from < limiters; from += 100) {
        await limiter.reserveCreations(Array.from({ length: Math.min(100, limiters - from) }, (_v, k) => ({ namespace: `ns-${from + k}`, count: 1 })));
      }
    });
    const detectionGrowth = await growth(masters, async () => {
      // Below both thresholds: 3 alerts over 3 resources per key.
      for (let from = 0; from < detectionKeys; from += 100) {
        const batch = [];
        for (let k = from; k < Math.min(from + 100, detectionKeys); k++)
          for (let a = 0; a < 3; a++) batch.push({ signal: podSignal(`det-${k}`, 'Flaky', `p${a}`), newIncident: true });
        await storms.evaluate(batch);
      }
    });
    for (let from = 0; from < stormAlerts; from += 50) {
      await storms.evaluate(
        Array.from({ length: Math.min(50, stormAlerts - from) }, (_v, i) => ({
          signal: podSignal('prod', 'NodeDown', `pod-${(from + i) % 2_000}`),
          newIncident: from + i < 2_000,
        })),
      );
    }
    const stormKey = storms.redisKey(podSignal('prod', 'NodeDown', 'pod-0'));
    const holderPort = (await cluster.masterOf(stormKey)).port;
    const holder = masters[nodes.findIndex(({ port }) => port === holderPort)];
    const stormBytes = holder ? Number(await holder.memory('USAGE', stormKey, 'SAMPLES', '0')) : 0;
    const totalDedup = dedupGrowth.reduce((sum, d) => sum + d, 0);
    return {
      masters: masters.length,
      incidents,
      bytesPerIncident: perItem(dedupGrowth, incidents),
      incidentShares: dedupGrowth.map((d) => Math.round((d / Math.max(1, totalDedup)) * 1000) / 1000),
      limiters,
      bytesPerLimiter: perItem(limiterGrowth, limiters),
      detectionKeys,
      detectionBytesPerKey: perItem(detectionGrowth, detectionKeys),
      stormAlerts,
      stormBytes,
    };
  } finally {
    for (const master of masters) master.disconnect();
    client.disconnect();
    await cluster.dispose();
  }
}
