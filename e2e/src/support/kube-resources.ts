import type { RemediationRequest } from '@alertgate/remediation';
import { kubectl } from '@alertgate/testing';

/** Every RemediationRequest in a namespace, read back from the API server. */
export async function listRemediationRequests(namespace: string): Promise<RemediationRequest[]> {
  const out = await kubectl(['get', 'remediationrequests.remediation.alertgate.io', '-n', namespace, '-o', 'json']);
  return (JSON.parse(out) as { items: RemediationRequest[] }).items;
}
