/**
 * An incident's identity: the fingerprint's first 12 hex digits and the incident's first-seen
 * time (ms, base 36). Deterministic, so every replica and every retry names the same
 * RemediationRequest; a new incident of the same fingerprint (after resolution or after its
 * resource ended) gets a new id.
 */
export function incidentId(fingerprint: string, firstSeenMs: number): string {
  return `${fingerprint.slice(0, 12)}-${Math.max(0, Math.floor(firstSeenMs)).toString(36)}`;
}

export const INCIDENT_ID_PATTERN = /^([0-9a-f]{12})-([0-9a-z]{1,12})$/;

/** Parses an id made by incidentId back into its fingerprint head and first-seen time. */
export function parseIncidentId(id: string): { fingerprintHead: string; firstSeenMs: number } | undefined {
  const match = INCIDENT_ID_PATTERN.exec(id);
  if (!match) return undefined;
  return { fingerprintHead: match[1] ?? '', firstSeenMs: parseInt(match[2] ?? '', 36) };
}
