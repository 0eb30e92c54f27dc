/**
 * Redis used_memory per active rate limiter (one GCRA key each), through the real RateLimiter
 * and its script, on a Redis started for the purpose.
 */
import { RedisServer } from '@alertgate/local-env';
import { RATE_LIMIT_DEFAULTS, RateLimiter } from '@alertgate/ratelimit';
import { KeySchema } from '@alertgate/redis';
import { Redis } from 'ioredis';

export interface RateLimitMemoryResult {
  readonly bytesPerLimiter: number;
  readonly limiters: number;
  readonly keys: number;
  readonly sampleKey: string;
  readonly sampleKeyTtlMs: number;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
}

export async function measureRateLimitMemory(limiters: number): Promise<RateLimitMemoryResult> {
  const server = await new RedisServer({ maxmemory: '1gb' }).start();
  const redis = new Redis(server.url, { enableAutoPipelining: true });
  try {
    // A slow refill keeps every limiter's key alive for the measurement.
    const limiter = new RateLimiter(redis, new KeySchema('ag:'), { ...RATE_LIMIT_DEFAULTS, source: { perSecond: 0.01, burst: 10 } });
    await limiter.checkSource('a:warm-up');
    await redis.flushall();
    const before = await usedMemory(redis);
    for (let from = 0; from < limiters; from += 500) {
      const batch = [];
      for (let i = from; i < Math.min(from + 500, limiters); i++) batch.push(limiter.checkSource(`a:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
      await Promise.all(batch);
    }
    const after = await usedMemory(redis);
    const [sampleKey = ''] = await redis.keys('ag:*').then((keys) => keys.slice(0, 1));
    return {
      bytesPerLimiter: Math.round(((after - before) / limiters) * 10) / 10,
      limiters,
      keys: await redis.dbsize(),
      sampleKey,
      sampleKeyTtlMs: await redis.pttl(sampleKey),
    };
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}
