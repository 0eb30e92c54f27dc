import { measureDedupMemory } from './measure-dedup-memory.js';

/**
 * The dedup issue's memory budget: at most 128 bytes of used_memory per open incident. The
 * figure for the record comes from `npm run bench:memory -- --fingerprints 100000 --json`; this
 * guards against a layout change that breaks the budget (bytes, not time: deterministic).
 */
describe('dedup memory budget', () => {
  it('stays under 128 bytes per open incident at 20,000 incidents', async () => {
    const result = await measureDedupMemory(20_000, 50);
    expect(result.keys).toBeLessThanOrEqual(4096);
    expect(result.keyTtlSeconds).toBeGreaterThan(0);
    expect(result.bytesPerFingerprint).toBeLessThanOrEqual(128);
    expect(result.bytesPerFingerprint).toBeLessThan(result.seedLayoutBytesPerFingerprint / 4);
  });
});
