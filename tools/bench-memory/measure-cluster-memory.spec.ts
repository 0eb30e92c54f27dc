import { measureClusterMemory } from './measure-cluster-memory.js';

/** The memory targets hold on a Redis Cluster too, with each class spread over the masters. */
describe('Redis Cluster memory budget', () => {
  it('keeps an open incident at most 64 bytes and a storm at most 4 KB, spread over 3 masters', async () => {
    const result = await measureClusterMemory(30_000, 2_000, 1_000, 2_000);
    expect(result.bytesPerIncident).toBeLessThanOrEqual(64);
    expect(result.stormBytes).toBeGreaterThan(0);
    expect(result.stormBytes).toBeLessThanOrEqual(4096);
    expect(result.bytesPerLimiter).toBeLessThanOrEqual(100);
    expect(result.incidentShares).toHaveLength(3);
    for (const share of result.incidentShares) expect(share).toBeGreaterThan(0.233);
  }, 120_000);
});
