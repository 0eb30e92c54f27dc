import { type Signal } from '@alertgate/proto';
import { stormKeyOf } from '@alertgate/signal';
import { testSignal } from '@alertgate/testing';

import {
  applyStatus,
  belongsToStorm,
  buildAggregate,
  buildRemediationRequest,
  mergeStatus,
  cooldownFiringStatus,
  endedStormStatus,
  inCompletedCooldown,
  isReopenable,
  labelValue,
  quietEventStatus,
  recurrenceOf,
  reopenedStatus,
  resolutionStatus,
  resourceName,
  type FoldedSignal,
} from './remediation-request.js';

const signal = (labels: Record<string, string>, alertname = 'PodCrash', namespace = 'shop'): Signal =>
  testSignal({ alertname, severity: 'critical', namespace, labels: { alertname, namespace, ...labels }, target: { kind: 'pod', name: labels['pod'] ?? 'p' } });
const incident = (s: Signal) =>
  buildRemediationRequest({ signal: s, incidentId: 'abcdef012345-1', firstSeenMs: 0, lastSeenMs: 0, occurrences: 1 }, s.namespace);
const folded = (s: Signal, keyLabels: readonly string[]): FoldedSignal => ({
  signal: s,
  storm: {
    key: stormKeyOf(keyLabels, s),
    keyFingerprint: 'e'.repeat(64),
    keyLabels,
    type: 'rate',
    startMs: 0,
    memberCount: 1,
    occurrences: 1,
    resolved: 0,
    overflow: 0,
    endsAtMs: 0,
    aggregate: { namespace: s.namespace, name: 'storm-podcrash' },
  },
});

describe('RemediationRequest model', () => {
  it('derives a valid, deterministic name from alertname and incident id', () => {
    expect(resourceName('KubePodCrashLooping', 'abcdef012345-mh3k2a')).toBe('kubepodcrashlooping-abcdef012345-mh3k2a');
    expect(resourceName('Weird__Name!!  x', 'abcdef012345-1')).toBe('weird-name-x-abcdef012345-1');
    expect(resourceName('!!!', 'abcdef012345-1')).toBe('incident-abcdef012345-1');
    expect(resourceName('a'.repeat(300), 'abcdef012345-1').length).toBeLessThanOrEqual(63);
  });

  it('annotates the sender and the trace of the webhook that opened it, and nothing when neither is known', () => {
    const s = signal({ pod: 'a' });
    const object = buildRemediationRequest(
      { signal: s, incidentId: 'abcdef012345-1', firstSeenMs: 0, lastSeenMs: 0, occurrences: 1, sender: 'alertmanager', traceId: 'f'.repeat(32) },
      s.namespace,
    );
    expect(object.metadata.annotations).toEqual({ 'remediation.alertgate.io/sender': 'alertmanager', 'remediation.alertgate.io/trace-id': 'f'.repeat(32) });
    expect(incident(s).metadata.annotations).toEqual({});
  });

  it('makes label values Kubernetes accepts', () => {
    expect(labelValue('Kube Pod/CrashLooping')).toBe('Kube_Pod_CrashLooping');
    expect(labelValue('-x-')).toBe('x');
    expect(labelValue('v'.repeat(100))).toHaveLength(63);
  });

  it('reopens a resolved resource only within the hold time, when it resolved from its alert and no controller finished it', () => {
    const resolvedAt = '2026-01-01T00:00:00.000Z';
    const at = Date.parse(resolvedAt);
    const resolved = { status: { resolvedAt, alertState: 'Resolved' as const, phase: 'Pending', occurrences: 4, reopenCount: 1 } };
    expect(isReopenable(resolved, at + 60_000, 60_000)).toBe(true);
    expect(isReopenable(resolved, at + 60_001, 60_000)).toBe(false);
    expect(isReopenable(resolved, at, 0)).toBe(false);
    expect(isReopenable({ status: { ...resolved.status, phase: 'Completed' } }, at, 60_000)).toBe(false);
    expect(isReopenable({ status: { ...resolved.status, closedReason: 'DedupWindowExpired' as const } }, at, 60_000)).toBe(false);
    expect(isReopenable({ status: { phase: 'Pending', alertState: 'Firing' as const } }, at, 60_000)).toBe(false);
    const firing = { signal: signal({}), incidentId: 'abcdef012345-2', firstSeenMs: at + 1_000, lastSeenMs: at + 1_000, occurrences: 1 };
    expect(reopenedStatus(resolved.status, firing, false)).toEqual({
      alertState: 'Firing',
      phase: 'Pending',
      occurrences: 5,
      reopenCount: 2,
      lastSeen: '2026-01-01T00:00:01.000Z',
    });
    // dedup still had the incident: its count is the whole count.
    expect(reopenedStatus(resolved.status, { ...firing, occurrences: 6 }, true).occurrences).toBe(6);
  });

  it('resolves a Warning event incident once quiet for the quiet time, as of its last sighting plus that time; never an alert', () => {
    const event = {
      ...incident(signal({})),
      spec: { ...incident(signal({})).spec, source: 'kubernetes-event' as const },
      status: { phase: 'Pending', lastSeen: '2026-01-01T00:00:00.000Z', alertState: 'Firing' as const },
    };
    const at = Date.parse('2026-01-01T00:00:00.000Z');
    expect(quietEventStatus(event, at + 59_999, 60_000)).toBeUndefined();
    expect(quietEventStatus(event, at + 60_000, 60_000)).toEqual({
      ...event.status,
      resolvedAt: '2026-01-01T00:01:00.000Z',
      alertState: 'Resolved',
      closedReason: 'EventsQuiet',
    });
    expect(quietEventStatus(event, at + 60_000, 0)).toBeUndefined();
    expect(quietEventStatus({ ...event, spec: { ...event.spec, source: 'alertmanager' } }, at + 3_600_000, 60_000)).toBeUndefined();
    expect(quietEventStatus({ ...event, status: { ...event.status, phase: 'Completed' } }, at + 3_600_000, 60_000)).toBeUndefined();
  });

  it('names the newest ended resource of a fingerprint as what a new incident recurs after, counting on from it', () => {
    const at = (name: string, created: string, phase: string, recurrenceCount?: number) => {
      const base = incident(signal({}));
      return {
        ...base,
        metadata: { ...base.metadata, name, creationTimestamp: created },
        spec: { ...base.spec, ...(recurrenceCount ? { recurrenceCount } : {}) },
        status: { phase },
      };
    };
    expect(recurrenceOf([at('open', '2026-01-03T00:00:00Z', 'Pending')])).toBeUndefined();
    expect(
      recurrenceOf([
        at('first', '2026-01-01T00:00:00Z', 'Completed'),
        at('second', '2026-01-02T00:00:00Z', 'Failed', 1),
        at('open', '2026-01-03T00:00:00Z', 'Pending'),
      ]),
    ).toEqual({ previous: 'second', count: 2 });
  });

  it('counts firings within the cooldown after Completed on the completed resource; not after it, nor after another phase', () => {
    const completedAt = '2026-01-01T00:00:00.000Z';
    const at = Date.parse(completedAt);
    const completed = { status: { phase: 'Completed', completedAt } };
    expect(inCompletedCooldown(completed, at + 59_999, 60_000)).toBe(true);
    expect(inCompletedCooldown(completed, at + 60_000, 60_000)).toBe(false);
    expect(inCompletedCooldown(completed, at, 0)).toBe(false);
    expect(inCompletedCooldown({ status: { phase: 'Failed', completedAt } }, at, 60_000)).toBe(false);
    expect(inCompletedCooldown({ status: { phase: 'Completed' } }, at, 60_000)).toBe(false);
    expect(cooldownFiringStatus(cooldownFiringStatus(completed.status, 1), 2)).toEqual({ ...completed.status, firingsAfterCompletion: 3 });
  });

  it('merges status without ever going backwards', () => {
    const current = {
      phase: 'Processing',
      occurrences: 5,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-01T01:00:00.000Z',
      alertState: 'Firing' as const,
    };
    expect(applyStatus(current, { occurrences: 3, firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:30:00.000Z' })).toBeUndefined();
    expect(applyStatus(current, { occurrences: 6, lastSeen: '2026-01-01T02:00:00.000Z' })).toEqual({
      ...current,
      occurrences: 6,
      lastSeen: '2026-01-01T02:00:00.000Z',
    });
    expect(applyStatus(undefined, { occurrences: 1 })).toMatchObject({ phase: 'Pending', occurrences: 1, alertState: 'Firing' });
  });

  it('records a resolution once, with the counts dedup had, never lowering them', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    const resolved = applyStatus(
      { phase: 'Pending', occurrences: 2, alertState: 'Firing' },
      resolutionStatus({ resolvedAtMs: at, occurrences: 0, lastSeenMs: undefined }),
    );
    expect(resolved).toEqual({ phase: 'Pending', occurrences: 2, resolvedAt: '2026-01-01T00:00:00.000Z', alertState: 'Resolved' });
    expect(applyStatus(resolved, resolutionStatus({ resolvedAtMs: Date.now(), occurrences: 1, lastSeenMs: undefined }))).toBeUndefined();
    // Counts coalesced in a crd-writer that crashed: the resolution brings dedup's.
    expect(
      applyStatus({ phase: 'Pending', occurrences: 1, alertState: 'Firing' }, resolutionStatus({ resolvedAtMs: at, occurrences: 7, lastSeenMs: at - 1_000 })),
    ).toEqual({
      phase: 'Pending',
      occurrences: 7,
      lastSeen: '2025-12-31T23:59:59.000Z',
      resolvedAt: '2026-01-01T00:00:00.000Z',
      alertState: 'Resolved',
    });
  });

  it('links only incidents of the same storm key, whatever STORM_KEY_LABELS holds', () => {
    const byService = ['namespace', 'alertname', 'service'];
    const storm = folded(signal({ pod: 'new', service: 'api' }), byService);
    expect(belongsToStorm(incident(signal({ pod: 'a', service: 'api' })), storm)).toBe(true);
    // Same alertname and namespace, another service: another key, another storm.
    expect(belongsToStorm(incident(signal({ pod: 'b', service: 'web' })), storm)).toBe(false);
    expect(belongsToStorm(incident(signal({ pod: 'c' })), storm)).toBe(false);
    expect(belongsToStorm(incident(signal({ pod: 'd', service: 'api' }, 'Other')), storm)).toBe(false);
    expect(belongsToStorm(incident(signal({ pod: 'e', service: 'api' }, 'PodCrash', 'other-ns')), storm)).toBe(false);
    // The default key: the service label does not matter.
    expect(belongsToStorm(incident(signal({ pod: 'b', service: 'web' })), folded(signal({ service: 'api' }), ['namespace', 'alertname']))).toBe(true);
    // The aggregate carries the key's labels.
    expect(buildAggregate(storm, 'shop').spec.labels).toEqual({ namespace: 'shop', alertname: 'PodCrash', service: 'api' });
  });

  it('ends a storm aggregate only after its end and the grace, keeping the latest end of merged updates', () => {
    const s = signal({ pod: 'a' });
    const aggregate = buildAggregate(
      { ...folded(s, ['namespace', 'alertname']), storm: { ...folded(s, ['namespace', 'alertname']).storm, endsAtMs: 10_000 } },
      'shop',
    );
    expect(aggregate.status?.storm?.endsAt).toBe(new Date(10_000).toISOString());
    expect(endedStormStatus(aggregate, 10_500, 1_000)).toBeUndefined();
    expect(endedStormStatus(aggregate, 11_001, 1_000)).toMatchObject({
      resolvedAt: new Date(10_000).toISOString(),
      alertState: 'Resolved',
      storm: { endedAt: new Date(10_000).toISOString() },
    });
    // An individual incident never ends this way; nor does an aggregate already resolved.
    expect(endedStormStatus(incident(s), 99_000, 0)).toBeUndefined();
    expect(endedStormStatus({ ...aggregate, status: { ...aggregate.status, resolvedAt: 'x' } }, 99_000, 0)).toBeUndefined();
    const later = mergeStatus(
      { storm: { memberCount: 1, resolved: 0, overflow: 0, members: [], linked: [], endsAt: '2026-01-01T00:00:02.000Z' } },
      { storm: { memberCount: 1, resolved: 0, overflow: 0, members: [], linked: [], endsAt: '2026-01-01T00:00:01.000Z' } },
    );
    expect(later.storm?.endsAt).toBe('2026-01-01T00:00:02.000Z');
  });
});
