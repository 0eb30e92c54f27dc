import fc from 'fast-check';

import { applyStatus, MEMBER_LIST_CAP, mergeStatus, type RemediationRequestStatus } from './remediation-request.js';

/**
 * The rules every status update keeps, whatever order updates arrive in (a retry, a replica
 * whose watch is behind, a coalesced flush): counts and times never go backwards, a resolution
 * stays, member lists stay bounded, and applying the same update again changes nothing.
 */
const time = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => new Date(ms).toISOString());
const members = fc.array(fc.stringMatching(/^[a-z]{1,3}$/), { maxLength: MEMBER_LIST_CAP + 8 });
const storm = fc.record(
  {
    memberCount: fc.nat(1_000),
    resolved: fc.nat(1_000),
    overflow: fc.nat(1_000),
    members: members.map((list) => list.slice(0, MEMBER_LIST_CAP)),
    linked: members.map((list) => list.slice(0, MEMBER_LIST_CAP)),
    endsAt: time,
  },
  { requiredKeys: ['memberCount', 'resolved', 'overflow', 'members', 'linked'] },
);
const affectedPods = fc
  .record({ names: members.map((list) => [...new Set(list)].slice(0, MEMBER_LIST_CAP)), beyond: fc.nat(200) })
  .map(({ names, beyond }) => ({ count: names.length + beyond, names, overflow: beyond }));
const status: fc.Arbitrary<RemediationRequestStatus> = fc.record(
  {
    phase: fc.constantFrom('Pending', 'Processing'),
    occurrences: fc.integer({ min: 1, max: 1_000_000 }),
    firstSeen: time,
    lastSeen: time,
    resolvedAt: time,
    reopenCount: fc.nat(100),
    storm,
    affectedPods,
    stormRef: fc.stringMatching(/^storm-[a-z]{1,5}$/),
  },
  { requiredKeys: [] },
);

/** What alertgate writes: no phase (the controller's alone). */
const update: fc.Arbitrary<RemediationRequestStatus> = status.map(({ phase: _phase, ...rest }) => rest);

const notBefore = (later: string | undefined, earlier: string | undefined): boolean => earlier === undefined || (later !== undefined && later >= earlier);
const notAfter = (earlier: string | undefined, later: string | undefined): boolean => later === undefined || (earlier !== undefined && earlier <= later);

describe('status rules', () => {
  it('applyStatus never takes a count or a time backwards, keeps a resolution and a storm link, and bounds member lists', () => {
    fc.assert(
      fc.property(status, status, (current, next) => {
        const after = applyStatus(current, next) ?? current;
        expect(after.occurrences ?? 0).toBeGreaterThanOrEqual(current.occurrences ?? 0);
        expect(notAfter(after.firstSeen, current.firstSeen)).toBe(true);
        expect(notBefore(after.lastSeen, current.lastSeen)).toBe(true);
        if (current.resolvedAt) expect(after.resolvedAt).toBe(current.resolvedAt);
        if (current.stormRef) expect(after.stormRef).toBe(current.stormRef);
        expect(after.storm?.members.length ?? 0).toBeLessThanOrEqual(MEMBER_LIST_CAP);
        expect(after.storm?.linked.length ?? 0).toBeLessThanOrEqual(MEMBER_LIST_CAP);
        expect(after.storm?.memberCount ?? 0).toBeGreaterThanOrEqual(current.storm?.memberCount ?? 0);
        const pods = after.affectedPods;
        expect(pods?.count ?? 0).toBeGreaterThanOrEqual(Math.max(current.affectedPods?.count ?? 0, next.affectedPods?.count ?? 0));
        expect(pods?.names.length ?? 0).toBeLessThanOrEqual(MEMBER_LIST_CAP);
        if (current.affectedPods) expect(pods?.names.slice(0, current.affectedPods.names.length)).toEqual(current.affectedPods.names);
        if (pods) expect(pods.overflow).toBe(pods.count - pods.names.length);
      }),
    );
  });

  it('applyStatus is idempotent: the same update twice writes once, and a status merged into itself changes nothing', () => {
    fc.assert(
      fc.property(status, status, (current, next) => {
        const once = applyStatus(current, next) ?? current;
        expect(applyStatus(once, next)).toBeUndefined();
        expect(applyStatus(once, once)).toBeUndefined();
      }),
    );
  });

  it('mergeStatus keeps the largest counts, the earliest first sighting, the latest last sighting and the first resolution of both, in either order', () => {
    fc.assert(
      fc.property(status, status, (a, b) => {
        for (const [combined, first, second] of [
          [mergeStatus(a, b), a, b],
          [mergeStatus(b, a), b, a],
        ] as const) {
          expect(combined.occurrences ?? 0).toBe(Math.max(a.occurrences ?? 0, b.occurrences ?? 0));
          expect(combined.reopenCount ?? 0).toBe(Math.max(a.reopenCount ?? 0, b.reopenCount ?? 0));
          expect(notAfter(combined.firstSeen, a.firstSeen) && notAfter(combined.firstSeen, b.firstSeen)).toBe(true);
          expect(notBefore(combined.lastSeen, a.lastSeen) && notBefore(combined.lastSeen, b.lastSeen)).toBe(true);
          expect(combined.resolvedAt).toBe(first.resolvedAt ?? second.resolvedAt);
          if (combined.resolvedAt) expect(combined.alertState).toBe('Resolved');
          expect(combined.stormRef).toBe(first.stormRef ?? second.stormRef);
          expect(combined.storm?.members.length ?? 0).toBeLessThanOrEqual(MEMBER_LIST_CAP);
          // Dedup's count of one incident's pods only grows, so the names of both never outnumber the larger count; here they may.
          const names = [...new Set([...(a.affectedPods?.names ?? []), ...(b.affectedPods?.names ?? [])])].slice(0, MEMBER_LIST_CAP);
          expect(new Set(combined.affectedPods?.names ?? [])).toEqual(new Set(names));
          expect(combined.affectedPods?.count ?? 0).toBe(Math.max(a.affectedPods?.count ?? 0, b.affectedPods?.count ?? 0, names.length));
        }
      }),
    );
  });

  it('a coalesced pair (mergeStatus, then applyStatus) records what applying both updates in turn records', () => {
    fc.assert(
      fc.property(status, update, update, (current, a, b) => {
        const inTurn = applyStatus(applyStatus(current, a) ?? current, b) ?? applyStatus(current, a) ?? current;
        const coalesced = applyStatus(current, mergeStatus(a, b)) ?? current;
        for (const field of ['phase', 'occurrences', 'reopenCount', 'firstSeen', 'lastSeen', 'resolvedAt', 'alertState', 'stormRef'] as const) {
          expect({ field, value: coalesced[field] }).toEqual({ field, value: inTurn[field] });
        }
        expect(coalesced.affectedPods?.count).toBe(inTurn.affectedPods?.count);
        expect(coalesced.storm?.memberCount).toBe(inTurn.storm?.memberCount);
      }),
    );
  });
});
