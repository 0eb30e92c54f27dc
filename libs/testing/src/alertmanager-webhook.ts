let sequence = 0;
/** An Alertmanager webhook (version 4) as Alertmanager 0.25+ sends it. */
export function amWebhook(alerts: readonly Record<string, unknown>[], status = 'firing'): Record<string, unknown> {
  sequence += 1;
  return {
    version: '4',
    groupKey: `{}:{alertname="test-${sequence}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'alertgate',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.monitoring:9093',
    alerts,
  };
}

export function amAlert(labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing'): Record<string, unknown> {
  return {
    status,
    labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', severity: 'critical', ...labels },
    annotations: { summary: 'Pod is crash looping' },
    startsAt: '2026-11-26T10:00:00Z',
    endsAt: status === 'resolved' ? '2026-11-26T10:30:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: 'c0ffee0123456789',
  };
}
