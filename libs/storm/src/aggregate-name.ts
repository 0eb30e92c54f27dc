import { slug } from '@alertgate/signal';

/**
 * The aggregate's name: deterministic per storm (key and start), so that gateways that cross the
 * threshold at once all name the same resource and its create is idempotent.
 */
export function aggregateName(alertname: string, keyFingerprint: string, startMs: number): string {
  return `storm-${slug(alertname, 30) || 'alerts'}-${keyFingerprint.slice(0, 10)}-${startMs.toString(36)}`;
}
