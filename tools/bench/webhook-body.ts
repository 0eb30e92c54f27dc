/** An Alertmanager webhook (version 4) of one group, as the benchmark's senders post it. */
export function webhookBody(alerts: readonly object[]): string {
  return JSON.stringify({
    version: '4',
    status: 'firing',
    receiver: 'alertgate',
    groupKey: 'bench',
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am',
    alerts,
  });
}
