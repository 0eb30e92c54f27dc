/**
 * A core/v1 Warning Event about a pod, as an event exporter posts it. Of now unless told: the
 * gateway ignores events last seen longer ago than EVENT_MAX_AGE.
 */
export function warningEvent(fields: {
  namespace: string;
  pod: string;
  reason?: string;
  message?: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
}): Record<string, unknown> {
  const { namespace, pod, reason = 'BackOff', message, firstTimestamp = new Date().toISOString(), lastTimestamp } = fields;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod}.1`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace },
    reason,
    type: 'Warning',
    firstTimestamp,
    ...(message ? { message } : {}),
    ...(lastTimestamp ? { lastTimestamp } : {}),
  };
}
