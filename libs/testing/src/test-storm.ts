/**
 * The storm part of a folded signal (FoldedSignal.storm): a rate storm of one alertname in one
 * namespace, one member so far, whose aggregate is `storm-<alertname>-e`. A test names when it
 * ends and, when it matters, where.
 */
export function testStorm(endsAtMs: number, namespace = 'n', alertname = 'DiskFull') {
  return {
    key: `${namespace}/${alertname}`,
    keyFingerprint: 'e'.repeat(64),
    keyLabels: ['namespace', 'alertname'],
    type: 'rate' as const,
    startMs: 1_000,
    memberCount: 1,
    occurrences: 1,
    resolved: 0,
    overflow: 0,
    endsAtMs,
    aggregate: { namespace, name: `storm-${alertname.toLowerCase()}-e` },
  };
}
