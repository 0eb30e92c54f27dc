import { createHash } from 'node:crypto';

import { KeySchema } from '@alertgate/redis';
import { RedisTestScope } from '@alertgate/testing';

import { PODS_CAP } from '../src/dedup-batch.lua.js';
import { DedupStore, FIELD_DIGITS, SHARD_DIGITS } from '../src/dedup-store.js';

const fp = (seed: string): string => createHash('sha256').update(seed).digest('hex');

describe('DedupStore on real Redis', () => {
  let scope: RedisTestScope;
  let store: DedupStore;

  beforeEach(() => {
    scope = new RedisTestScope('dedup');
    store = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 60_000, pruneSamples: 3, resolvedRetentionMs: 60_000 });
  });
  afterEach(() => scope.verifyAndClean());

  it('opens an incident, counts duplicates, resolves it, answers its retried resolution, then opens a new one', async () => {
    const f = fp('a');
    const [first] = await store.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(first).toMatchObject({ outcome: 'new', incident: { occurrences: 1 } });
    const [second] = await store.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(second).toMatchObject({ outcome: 'duplicate', incident: { occurrences: 2, id: first?.incident?.id } });
    expect(second?.incident?.lastSeenMs).toBeGreaterThanOrEqual(first?.incident?.lastSeenMs ?? 0);
    const [resolved] = await store.checkBatch([{ fingerprint: f, resolved: true }]);
    expect(resolved).toMatchObject({ outcome: 'resolved', incident: { id: first?.incident?.id, occurrences: 2 } });
    // The sender retries a resolution it got no answer for: the same incident and counts again.
    const [again] = await store.checkBatch([{ fingerprint: f, resolved: true }]);
    expect(again).toEqual(resolved);
    const [reopened] = await store.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(reopened).toMatchObject({ outcome: 'new', incident: { occurrences: 1 } });
    expect(reopened?.incident?.id).not.toBe(first?.incident?.id);
    // A firing in a storm finds no open incident in a resolved one either: it folds.
    const inStorm = await store.checkBatch([
      { fingerprint: fp('a2'), resolved: false },
      { fingerprint: fp('a2'), resolved: true },
      { fingerprint: fp('a2'), resolved: false, foldIfNew: true },
    ]);
    expect(inStorm.map((decision) => decision.outcome)).toEqual(['new', 'resolved', 'folded']);
  });

  it('forgets a resolved incident at once with no retention, and after the retention otherwise', async () => {
    const keys = new KeySchema(scope.prefix);
    const none = new DedupStore(scope.redis, keys, { windowMs: 60_000, pruneSamples: 3, resolvedRetentionMs: 0 });
    const f = fp('a3');
    await none.checkBatch([{ fingerprint: f, resolved: false }]);
    await none.checkBatch([{ fingerprint: f, resolved: true }]);
    expect(await scope.keys()).toEqual([]);
    expect(await none.checkBatch([{ fingerprint: f, resolved: true }])).toEqual([{ fingerprint: f, outcome: 'unmatched' }]);

    // Resolved under a long retention, then met by a store whose retention has passed: the
    // retry is unmatched, and a write to the shard sweeps the resolved entry.
    const brief = new DedupStore(scope.redis, keys, { windowMs: 60_000, pruneSamples: 16, resolvedRetentionMs: 20 });
    const shard = 'abf';
    const g = `${shard}${fp('a4').slice(SHARD_DIGITS)}`;
    await store.checkBatch([{ fingerprint: g, resolved: false }]);
    await store.checkBatch([{ fingerprint: g, resolved: true }]);
    expect(await scope.redis.hlen(`${scope.prefix}{d${shard}}`)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await brief.checkBatch([{ fingerprint: `${shard}${fp('a5').slice(SHARD_DIGITS)}`, resolved: false }]);
    expect(await scope.redis.hlen(`${scope.prefix}{d${shard}}`)).toBe(1);
    expect(await brief.checkBatch([{ fingerprint: g, resolved: true }])).toEqual([{ fingerprint: g, outcome: 'unmatched' }]);
  });

  it('keeps a resolved entry for its retention even in a hash whose TTL was about to end', async () => {
    const short = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 60_000, pruneSamples: 3, resolvedRetentionMs: 30_000 });
    const f = fp('a6');
    await short.checkBatch([{ fingerprint: f, resolved: false }]);
    const [key = ''] = await scope.keys();
    await scope.redis.pexpire(key, 1_000);
    await short.checkBatch([{ fingerprint: f, resolved: true }]);
    expect(await scope.redis.pttl(key)).toBeGreaterThan(1_000);
  });

  it('decides a whole batch in order, duplicates within the batch included', async () => {
    const fps = Array.from({ length: 10 }, (_v, i) => fp(`b${i}`));
    const queries = Array.from({ length: 50 }, (_v, i) => ({ fingerprint: fps[i % 10] ?? '', resolved: false }));
    const decisions = await store.checkBatch(queries);
    expect(decisions.filter((d) => d.outcome === 'new')).toHaveLength(10);
    expect(decisions.slice(0, 10).every((d) => d.outcome === 'new')).toBe(true);
    expect(decisions[49]).toMatchObject({ outcome: 'duplicate', incident: { occurrences: 5 } });
  });

  it('keeps every key it writes under the prefix, hash-tagged, with a TTL of the window', async () => {
    const written = Date.now();
    await store.checkBatch([{ fingerprint: fp('c'), resolved: false }]);
    const keys = await scope.keys();
    expect(keys).toEqual([`${scope.prefix}{d${fp('c').slice(0, SHARD_DIGITS)}}`]);
    const ttl = await scope.redis.pttl(keys[0] ?? '');
    // The window (60 s), less the time that passed since the write (measured, not assumed).
    expect(ttl).toBeGreaterThanOrEqual(60_000 - (Date.now() - written) - 1);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('treats an incident as closed once the window passed since its last sighting', async () => {
    const short = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 150, pruneSamples: 3, resolvedRetentionMs: 60_000 });
    const f = fp('d');
    await short.checkBatch([{ fingerprint: f, resolved: false }]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [later] = await short.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(later?.outcome).toBe('new');
  });

  // The entries are written with a long window, so that their hash's TTL keeps it alive, and
  // later looked at with a short one, which makes them stale: only sweeping can remove them.
  it('sweeps the stale entries of a live shard no larger than the samples on every write', async () => {
    const long = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 60_000, pruneSamples: 0, resolvedRetentionMs: 60_000 });
    const short = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 200, pruneSamples: 16, resolvedRetentionMs: 60_000 });
    // Ten fingerprints in one shard (same first digits), then let them go stale.
    const shard = 'abc';
    const stale = Array.from({ length: 10 }, (_v, i) => `${shard}${fp(`e${i}`).slice(SHARD_DIGITS)}`);
    await long.checkBatch(stale.map((fingerprint) => ({ fingerprint, resolved: false })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await short.checkBatch([{ fingerprint: `${shard}${fp('fresh').slice(SHARD_DIGITS)}`, resolved: false }]);
    expect(await scope.redis.hlen(`${scope.prefix}{d${shard}}`)).toBe(1);
  });

  // A hash larger than DEDUP_PRUNE_SAMPLES is swept whole with probability samples / size per
  // write (dedup-batch.lua.ts). 300 writes of fresh fingerprints to a shard with 30 stale entries
  // draw about 4 × ln(330 / 31) ≈ 9.5 sweeps on average: all 300 missing has odds near e^-9.5.
  it('sweeps the stale entries of a live shard larger than the samples, by chance per write', async () => {
    const long = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 60_000, pruneSamples: 0, resolvedRetentionMs: 60_000 });
    const WINDOW_MS = 1_000;
    const short = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: WINDOW_MS, pruneSamples: 4, resolvedRetentionMs: 60_000 });
    const shard = 'abd';
    const inShard = (name: string): string => `${shard}${fp(name).slice(SHARD_DIGITS)}`;
    const field = (name: string): string => inShard(name).slice(SHARD_DIGITS, SHARD_DIGITS + FIELD_DIGITS);
    await long.checkBatch(Array.from({ length: 30 }, (_v, i) => ({ fingerprint: inShard(`stale-${i}`), resolved: false })));
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 100));
    const writtenAt: number[] = [];
    for (let i = 0; i < 300; i++) {
      await short.checkBatch([{ fingerprint: inShard(`fresh-${i}`), resolved: false }]);
      writtenAt.push(Date.now());
    }
    const fields = await scope.redis.hkeys(`${scope.prefix}{d${shard}}`);
    const staleLeft = Array.from({ length: 30 }, (_v, i) => field(`stale-${i}`)).filter((name) => fields.includes(name));
    expect(staleLeft).toEqual([]);
    // Sweeping removed only stale entries: every fresh incident written within the window of the
    // last write is still open. (On a machine that needs more than the window for the writes,
    // the earliest went stale meanwhile and may be swept too: measured, not assumed.)
    const last = writtenAt.at(-1) ?? 0;
    const mustRemain = writtenAt.flatMap((at, i) => (last - at < WINDOW_MS - 50 ? [field(`fresh-${i}`)] : []));
    expect(mustRemain.filter((name) => !fields.includes(name))).toEqual([]);
  });

  it('keeps stale entries when sweeping is off (DEDUP_PRUNE_SAMPLES=0) until they are met', async () => {
    const long = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 60_000, pruneSamples: 0, resolvedRetentionMs: 60_000 });
    const off = new DedupStore(scope.redis, new KeySchema(scope.prefix), { windowMs: 200, pruneSamples: 0, resolvedRetentionMs: 60_000 });
    const shard = 'abe';
    await long.checkBatch(Array.from({ length: 5 }, (_v, i) => ({ fingerprint: `${shard}${fp(`old-${i}`).slice(SHARD_DIGITS)}`, resolved: false })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await off.checkBatch([{ fingerprint: `${shard}${fp('new').slice(SHARD_DIGITS)}`, resolved: false }]);
    expect(await scope.redis.hlen(`${scope.prefix}{d${shard}}`)).toBe(6);
  });

  it('forgets only the incident it names', async () => {
    const f = fp('g');
    const [opened] = await store.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(await store.forget(f, `${f.slice(0, 12)}-1`)).toBe(false);
    expect(await store.forget(f, opened?.incident?.id ?? '')).toBe(true);
    const [next] = await store.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(next?.outcome).toBe('new');
  });

  it('adopts an incident that Kubernetes knows and counts on from it', async () => {
    const f = fp('h');
    const known = `${f.slice(0, 12)}-${(Date.now() - 60_000).toString(36)}`;
    const adopted = await store.adopt(f, known, 7);
    expect(adopted).toMatchObject({ id: known, occurrences: 7 });
    const [next] = await store.checkBatch([{ fingerprint: f, resolved: false }]);
    expect(next).toMatchObject({ outcome: 'duplicate', incident: { id: known, occurrences: 8 } });
    await expect(store.adopt(f, 'ffffffffffff-1', 1)).rejects.toThrow(/does not belong/);
  });

  // Folding a storm's new signals needs no second call to undo what dedup recorded.
  it('folds a storm signal that has no open incident, recording nothing, and counts one that has', async () => {
    const open = fp('open-before-the-storm');
    const member = fp('storm-member');
    await store.checkBatch([{ fingerprint: open, resolved: false }]);
    const decisions = await store.checkBatch([
      { fingerprint: open, resolved: false, foldIfNew: true },
      { fingerprint: member, resolved: false, foldIfNew: true },
      { fingerprint: member, resolved: false, foldIfNew: true },
    ]);
    expect(decisions.map((d) => d.outcome)).toEqual(['duplicate', 'folded', 'folded']);
    expect(decisions[0]?.incident?.occurrences).toBe(2);
    expect(decisions[1]?.incident).toBeUndefined();
    // Nothing was kept of the member: without a storm it is a new incident.
    const [after] = await store.checkBatch([{ fingerprint: member, resolved: false }]);
    expect(after?.outcome).toBe('new');
  });

  describe('a workload incident (its signals name their pods)', () => {
    const firing = (fingerprint: string, pod: string) => ({ fingerprint, resolved: false, pod });
    const resolving = (fingerprint: string, pod: string) => ({ fingerprint, resolved: true, pod });

    it('counts its pods, and resolves only when the last firing pod resolves', async () => {
      const f = fp('workload');
      const opened = await store.checkBatch([firing(f, 'web-1'), firing(f, 'web-2'), firing(f, 'web-1'), firing(f, 'web-3')]);
      expect(opened.map((d) => [d.outcome, d.incident?.pods])).toEqual([
        ['new', 1],
        ['duplicate', 2],
        ['duplicate', 2],
        ['duplicate', 3],
      ]);
      const [first, again, second] = await store.checkBatch([resolving(f, 'web-1'), resolving(f, 'web-1'), resolving(f, 'web-2')]);
      expect(first).toMatchObject({ outcome: 'pod-resolved', incident: { id: opened[0]?.incident?.id, occurrences: 4, pods: 3 } });
      expect(again?.outcome).toBe('pod-resolved');
      expect(second?.outcome).toBe('pod-resolved');
      // A resolved pod that fires again holds the incident open once more.
      await store.checkBatch([firing(f, 'web-2')]);
      const [third, last] = await store.checkBatch([resolving(f, 'web-3'), resolving(f, 'web-2')]);
      expect(third?.outcome).toBe('pod-resolved');
      expect(last).toMatchObject({ outcome: 'resolved', incident: { id: opened[0]?.incident?.id, occurrences: 5, pods: 0 } });
      expect(await scope.redis.exists(store.podsKey(f))).toBe(0);
      // The next incident of the workload starts its pods anew.
      const [next] = await store.checkBatch([firing(f, 'web-9')]);
      expect(next).toMatchObject({ outcome: 'new', incident: { pods: 1 } });
    });

    it('does not wait for a pod that stopped firing without a resolution (not seen for the window)', async () => {
      const f = fp('workload-stale');
      await store.checkBatch([firing(f, 'web-1')]);
      // web-2 fired last more than the window (60 s) ago: it no longer holds the incident open.
      await scope.redis.hset(store.podsKey(f), 'web-2', (Date.now() - 120_000).toString(36));
      const [resolved] = await store.checkBatch([resolving(f, 'web-1')]);
      expect(resolved?.outcome).toBe('resolved');
    });

    it('tracks at most PODS_CAP pods; a pod beyond them counts as a firing, and its resolution waits for the tracked ones', async () => {
      const f = fp('workload-wide');
      const pods = Array.from({ length: PODS_CAP + 3 }, (_unused, i) => `web-${i}`);
      const decisions = await store.checkBatch(pods.map((pod) => firing(f, pod)));
      expect(decisions.at(-1)?.incident).toMatchObject({ occurrences: PODS_CAP + 3, pods: PODS_CAP });
      expect(await scope.redis.hlen(store.podsKey(f))).toBe(PODS_CAP);
      const [untracked] = await store.checkBatch([resolving(f, `web-${PODS_CAP + 1}`)]);
      expect(untracked?.outcome).toBe('pod-resolved');
      const all = await store.checkBatch(pods.slice(0, PODS_CAP).map((pod) => resolving(f, pod)));
      expect(all.at(-1)?.outcome).toBe('resolved');
      expect(all.filter((d) => d.outcome === 'resolved')).toHaveLength(1);
    });

    it('resolves at once when its pods were never recorded (an adopted incident), and forgets its pods with it', async () => {
      const f = fp('workload-adopted');
      await store.adopt(f, `${f.slice(0, 12)}-${(Date.now() - 1_000).toString(36)}`, 3);
      const [resolved] = await store.checkBatch([resolving(f, 'web-1')]);
      expect(resolved?.outcome).toBe('resolved');
      const g = fp('workload-forgotten');
      const [opened] = await store.checkBatch([firing(g, 'web-1')]);
      expect(await store.forget(g, opened?.incident?.id ?? '')).toBe(true);
      expect(await scope.redis.exists(store.podsKey(g))).toBe(0);
    });
  });

  it('refuses a malformed fingerprint without touching Redis', async () => {
    await expect(store.checkBatch([{ fingerprint: 'xyz', resolved: false }])).rejects.toThrow(/fingerprint must be 64/);
    expect(await scope.keys()).toEqual([]);
  });
});
