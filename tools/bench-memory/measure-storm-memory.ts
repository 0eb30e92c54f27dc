/**
 * Redis bytes of storm state, through the real StormStore and its script: one storm fed many
 * alerts over many resources (the footprint must not grow with them), and the detection state of
 * keys that never become storms.
 */
import { RedisServer } from '@alertgate/local-env';
import { KeySchema } from '@alertgate/redis';
import { STORM_DEFAULTS, StormStore } from '@alertgate/storm';
import { podSignal } from '@alertgate/testing';
import { Redis } from 'ioredis';

export interface StormMemoryResult {
  /** MEMORY USAGE of the one storm's hash after all alerts. */
  readonly stormBytes: number;
  readonly stormAlerts: number;
  readonly stormResources: number;
  readonly stormEncoding: string;
  /** used_memory per (namespace, alertname) key with detection state and no storm. */
  readonly detectionBytesPerKey: number;
  /** MEMORY USAGE of one such key (the key alone, without Redis' own share of used_memory). */
  readonly detectionKeyBytes: number;
  readonly detectionKeys: number;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
}

export async function measureStormMemory(stormAlerts: number, stormResources: number, detectionKeys: number): Promise<StormMemoryResult> {
  const server = await new RedisServer({ maxmemory: '1gb' }).start();
  const redis = new Redis(server.url, { enableAutoPipelining: true });
  try {
    const store = new StormStore(redis, new KeySchema('ag:'), { defaults: STORM_DEFAULTS, overrides: new Map(), keyLabels: ['namespace', 'alertname'] });
    for (let from = 0; from < stormAlerts; from += 50) {
      await store.evaluate(
        Array.from({ length: Math.min(50, stormAlerts - from) }, (_v, i) => ({
          signal: podSignal('prod', 'NodeDown', `pod-${(from + i) % stormResources}`),
          newIncident: from + i < stormResources,
          incidentId: `${'a'.repeat(12)}-${(from + i).toString(36)}`,
        })),
      );
    }
    const [stormKey = ''] = await redis.keys('ag:{s*');
    const stormBytes = Number(await redis.memory('USAGE', stormKey, 'SAMPLES', '0'));
    const stormEncoding = String(await redis.object('ENCODING', stormKey));
    await redis.flushall();
    const before = await usedMemory(redis);
    // Below both thresholds: 3 alerts over 3 resources per key.
    for (let from = 0; from < detectionKeys; from += 100) {
      const batch = [];
      for (let k = from; k < Math.min(from + 100, detectionKeys); k++) {
        for (let a = 0; a < 3; a++)
          batch.push({ signal: podSignal(`ns-${k}`, 'Flaky', `p${a}`), newIncident: true, incidentId: `${'b'.repeat(12)}-${(k * 3 + a).toString(36)}` });
      }
      await store.evaluate(batch);
    }
    const after = await usedMemory(redis);
    const [detectionKey = ''] = await redis.keys('ag:{s*');
    const detectionKeyBytes = Number(await redis.memory('USAGE', detectionKey, 'SAMPLES', '0'));
    return {
      detectionKeyBytes,
      stormBytes,
      stormAlerts,
      stormResources,
      stormEncoding,
      detectionBytesPerKey: Math.round(((after - before) / detectionKeys) * 10) / 10,
      detectionKeys,
    };
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}
