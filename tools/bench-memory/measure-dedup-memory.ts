/**
 * The measurement behind `npm run bench:memory` (tools/bench-memory/main.ts).
 *
 * Measures Redis used_memory per open incident of the dedup window, through the real DedupStore
 * and its Lua script, on a Redis server started here (so nothing else is in it). For comparison
 * it then resolves every incident and measures what the resolved ones keep for
 * DEDUP_RESOLVED_RETENTION. For comparison it also measures the naive layout: one JSON string key per fingerprint with a TTL.
 */
import { createHash } from 'node:crypto';

import { DEDUP_DEFAULTS, DedupStore } from '@alertgate/dedup';
import { RedisServer } from '@alertgate/local-env';
import { KeySchema } from '@alertgate/redis';
import { Redis } from 'ioredis';

const fingerprintOf = (i: number): string => createHash('sha256').update(`bench-${i}`).digest('hex');

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}

export interface DedupMemoryResult {
  readonly bytesPerFingerprint: number;
  /** Once each incident is resolved: what a resolved one costs for DEDUP_RESOLVED_RETENTION. */
  readonly bytesPerResolvedFingerprint: number;
  readonly fingerprints: number;
  readonly batch: number;
  readonly usedMemoryBefore: number;
  readonly usedMemoryAfter: number;
  readonly keys: number;
  readonly entriesPerKey: number;
  readonly encoding: string;
  readonly keyTtlSeconds: number;
  readonly checksPerSecond: number;
  readonly seedLayoutBytesPerFingerprint: number;
  readonly redisVersion: string;
}

/** Runs the measurement on a Redis server of its own (nothing else may be in it). */
export async function measureDedupMemory(fingerprints: number, batch: number): Promise<DedupMemoryResult> {
  const server = await new RedisServer({ maxmemory: '2gb', maxmemoryPolicy: 'noeviction' }).start();
  const redis = new Redis(server.url, { enableAutoPipelining: true });
  try {
    const keys = new KeySchema('ag:');
    const store = new DedupStore(redis, keys, DEDUP_DEFAULTS);
    // Warm-up: load the script (its cache is not per-incident memory), then start from empty.
    await store.checkBatch([{ fingerprint: fingerprintOf(-1), resolved: false }]);
    await redis.del(store.shardKey(fingerprintOf(-1)));
    const before = await usedMemory(redis);
    const started = process.hrtime.bigint();
    const inFlight = 8;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < fingerprints) {
        const from = next;
        next = Math.min(next + batch, fingerprints);
        const queries = [];
        for (let i = from; i < next; i++) queries.push({ fingerprint: fingerprintOf(i), resolved: false });
        await store.checkBatch(queries);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = await usedMemory(redis);
    const dbsize = await redis.dbsize();
    const sampleKey = store.shardKey(fingerprintOf(0));
    const encoding = String(await redis.object('ENCODING', sampleKey));
    const entriesPerKey = await redis.hlen(sampleKey);
    const keyTtlSeconds = await redis.ttl(sampleKey);
    for (let from = 0; from < fingerprints; from += batch) {
      const queries = [];
      for (let i = from; i < Math.min(from + batch, fingerprints); i++) queries.push({ fingerprint: fingerprintOf(i), resolved: true });
      await store.checkBatch(queries);
    }
    const afterResolution = await usedMemory(redis);

    // The naive layout, for comparison: a JSON document per fingerprint.
    await redis.flushall();
    const seedBefore = await usedMemory(redis);
    const now = new Date().toISOString();
    for (let from = 0; from < fingerprints; from += 1000) {
      const pipeline = redis.pipeline();
      for (let i = from; i < Math.min(from + 1000, fingerprints); i++) {
        const fp = fingerprintOf(i);
        const value = JSON.stringify({
          fingerprint: fp,
          remediation_request_ref: `rr-${fp.slice(0, 16)}-production-highcpu`,
          count: 1,
          first_seen: now,
          last_seen: now,
        });
        pipeline.set(`gateway:dedup:fingerprint:${fp}`, value, 'EX', 18_000);
      }
      await pipeline.exec();
    }
    const seedAfter = await usedMemory(redis);
    const info = await redis.info('server');
    return {
      bytesPerFingerprint: Math.round(((after - before) / fingerprints) * 10) / 10,
      bytesPerResolvedFingerprint: Math.round(((afterResolution - before) / fingerprints) * 10) / 10,
      fingerprints,
      batch,
      usedMemoryBefore: before,
      usedMemoryAfter: after,
      keys: dbsize,
      entriesPerKey,
      encoding,
      keyTtlSeconds,
      checksPerSecond: Math.round(fingerprints / seconds),
      seedLayoutBytesPerFingerprint: Math.round(((seedAfter - seedBefore) / fingerprints) * 10) / 10,
      redisVersion: /^redis_version:(.*)$/m.exec(info)?.[1]?.trim() ?? '',
    };
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}
