import { labelValue, mergeOpenStatus, resolvedStatus, resourceName } from './remediation-request.js';

describe('RemediationRequest model', () => {
  it('derives a valid, deterministic name from alertname and incident id', () => {
    expect(resourceName('KubePodCrashLooping', 'abcdef012345-mh3k2a')).toBe('kubepodcrashlooping-abcdef012345-mh3k2a');
    expect(resourceName('Weird__Name!!  x', 'abcdef012345-1')).toBe('weird-name-x-abcdef012345-1');
    expect(resourceName('!!!', 'abcdef012345-1')).toBe('incident-abcdef012345-1');
    expect(resourceName('a'.repeat(300), 'abcdef012345-1').length).toBeLessThanOrEqual(63);
  });

  it('makes label values Kubernetes accepts', () => {
    expect(labelValue('Kube Pod/CrashLooping')).toBe('Kube_Pod_CrashLooping');
    expect(labelValue('-x-')).toBe('x');
    expect(labelValue('v'.repeat(100))).toHaveLength(63);
  });

  it('merges status without ever going backwards', () => {
    const current = { phase: 'Processing', occurrences: 5, firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T01:00:00.000Z', alertState: 'Firing' as const };
    expect(mergeOpenStatus(current, { occurrences: 3, firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:30:00.000Z' })).toBeUndefined();
    expect(mergeOpenStatus(current, { occurrences: 6, lastSeen: '2026-01-01T02:00:00.000Z' })).toEqual({ ...current, occurrences: 6, lastSeen: '2026-01-01T02:00:00.000Z' });
    expect(mergeOpenStatus(undefined, { occurrences: 1 })).toMatchObject({ phase: 'Pending', occurrences: 1, alertState: 'Firing' });
  });

  it('records a resolution once', () => {
    const resolved = resolvedStatus({ occurrences: 2 }, Date.parse('2026-01-01T00:00:00Z'));
    expect(resolved).toEqual({ occurrences: 2, resolvedAt: '2026-01-01T00:00:00.000Z', alertState: 'Resolved' });
    expect(resolvedStatus(resolved, Date.now())).toBeUndefined();
  });
});
