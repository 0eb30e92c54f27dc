import { RR_GROUP, RR_PLURAL, RR_VERSION, type RemediationRequest } from '@alertgate/remediation';
import { kubectl } from '@alertgate/testing';

/**
 * Every RemediationRequest in a namespace, read back from the API server. The list is read raw
 * (the API server's own JSON): `kubectl get -o json` decodes and prints thousands of objects
 * client side, which on a loaded machine took longer than kubectl's timeout.
 */
export async function listRemediationRequests(namespace: string): Promise<RemediationRequest[]> {
  const out = await kubectl(['get', '--raw', `/apis/${RR_GROUP}/${RR_VERSION}/namespaces/${namespace}/${RR_PLURAL}`]);
  return (JSON.parse(out) as { items: RemediationRequest[] }).items;
}
