/**
 * The aggregate's name: deterministic per storm (key and start), so that gateways that cross the
 * threshold at once all name the same resource and its create is idempotent.
 */
export function aggregateName(alertname: string, keyFingerprint: string, startMs: number): string {
  const slug = alertname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 30)
    .replace(/-$/, '');
  return `storm-${slug || 'alerts'}-${keyFingerprint.slice(0, 10)}-${startMs.toString(36)}`;
}
