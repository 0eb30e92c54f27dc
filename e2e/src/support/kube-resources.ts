import { readFileSync, writeFileSync } from 'node:fs';

import { RR_GROUP, RR_PLURAL, RR_VERSION, type RemediationRequest } from '@alertgate/remediation';
import { kubectl, testKube } from '@alertgate/testing';
import { parse } from 'yaml';

/**
 * Every RemediationRequest in a namespace, read back from the API server. The list is read raw
 * (the API server's own JSON): `kubectl get -o json` decodes and prints thousands of objects
 * client side, which on a loaded machine took longer than kubectl's timeout.
 */
export async function listRemediationRequests(namespace: string): Promise<RemediationRequest[]> {
  const out = await kubectl(['get', '--raw', `/apis/${RR_GROUP}/${RR_VERSION}/namespaces/${namespace}/${RR_PLURAL}`]);
  return (JSON.parse(out) as { items: RemediationRequest[] }).items;
}

/**
 * Writes a kubeconfig for the test API server that authenticates with a bearer token (a
 * ServiceAccount's, from `kubectl create token`), not the admin's certificate; returns its path.
 */
export function tokenKubeconfig(path: string, token: string): string {
  const admin = parse(readFileSync(testKube().kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
  const cluster = admin.clusters[0]?.cluster;
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: test, cluster: { server: "${cluster?.server}", certificate-authority-data: "${cluster?.['certificate-authority-data']}" } }]
users: [{ name: service-account, user: { token: "${token}" } }]
contexts: [{ name: test, context: { cluster: test, user: service-account } }]
current-context: test
`,
    { mode: 0o600 },
  );
  return path;
}
