import { measureStormMemory } from './measure-storm-memory.js';

/** The storm issue's budgets: a storm under 4 KB however many alerts join it; detection ≤ 200 bytes per key. */
describe('storm memory budget', () => {
  it('keeps a storm of 5,000 alerts over 1,000 resources under 4 KB', async () => {
    const result = await measureStormMemory(5_000, 1_000, 2_000);
    expect(result.stormBytes).toBeLessThan(4096);
    expect(result.detectionBytesPerKey).toBeLessThanOrEqual(200);
  });
});
