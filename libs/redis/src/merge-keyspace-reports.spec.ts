import type { KeyspaceReport } from './inspect-keyspace.js';
import { mergeKeyspaceReports } from './merge-keyspace-reports.js';

const report = (keys: number, used: number, rss: number, policy: string): KeyspaceReport => ({
  prefix: 'ag:',
  classes: [
    {
      name: 'dedup',
      description: '',
      keys,
      bytes: keys * 100,
      measured: keys,
      withoutTtl: 0,
      entries: keys * 10,
      ttl: { under1m: 0, under1h: keys, under1d: 0, over1d: 0 },
    },
  ],
  unknown: { keys: 0, examples: [] },
  withoutTtl: [],
  totalKeys: keys,
  memory: { used_memory: String(used), used_memory_rss: String(rss), maxmemory: '1000', maxmemory_policy: policy, mem_fragmentation_ratio: '9' },
});

describe('mergeKeyspaceReports', () => {
  it('sums counts, bytes and memory, and recomputes the fragmentation ratio', () => {
    const merged = mergeKeyspaceReports([report(3, 100, 300, 'noeviction'), report(5, 300, 500, 'noeviction')]);
    expect(merged.totalKeys).toBe(8);
    expect(merged.classes[0]).toMatchObject({ keys: 8, bytes: 800, measured: 8, entries: 80, ttl: { under1h: 8 } });
    expect(merged.memory).toMatchObject({
      used_memory: '400',
      used_memory_rss: '800',
      maxmemory: '2000',
      maxmemory_policy: 'noeviction',
      mem_fragmentation_ratio: '2.00',
    });
  });

  it('says "mixed" where the servers disagree on a setting', () => {
    expect(mergeKeyspaceReports([report(1, 1, 1, 'noeviction'), report(1, 1, 1, 'allkeys-lru')]).memory['maxmemory_policy']).toBe('mixed');
  });
});
