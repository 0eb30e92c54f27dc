import { measureRateLimitMemory } from './measure-ratelimit-memory.js';

/** The rate-limit issue's budget: at most 100 bytes of Redis memory per active limiter. */
describe('rate limiter memory budget', () => {
  it('stays under 100 bytes per active limiter, each key with a TTL', async () => {
    const result = await measureRateLimitMemory(5_000);
    expect(result.keys).toBeLessThanOrEqual(256);
    expect(result.sampleKeyTtlMs).toBeGreaterThan(0);
    expect(result.bytesPerLimiter).toBeLessThanOrEqual(100);
  });
});
