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

/** Creates an object with kubectl; returns its uid. */
export async function createObject(object: Record<string, unknown>): Promise<string> {
  return (await kubectl(['create', '-o', 'jsonpath={.metadata.uid}', '-f', '-'], { input: JSON.stringify(object) })).trim();
}

/** The ownerReferences a controller sets on what it creates. */
export function controlledBy(apiVersion: string, kind: string, name: string, uid: string): Record<string, unknown>[] {
  return [{ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true }];
}

const POD_LABELS = { app: 'web' };
/** A pod template of no real image: no node runs pods on the test API server. */
export const POD_TEMPLATE = { metadata: { labels: POD_LABELS }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } };

/** Pods controlled by `ownerReferences` (the namespace needs its default ServiceAccount). */
export async function createPods(namespace: string, names: readonly string[], ownerReferences: Record<string, unknown>[]): Promise<void> {
  for (const name of names) {
    await createObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: POD_LABELS, ownerReferences }, spec: POD_TEMPLATE.spec });
  }
}

/**
 * Deployment → ReplicaSet → pods, linked by ownerReferences as their controllers would link them
 * (no controller runs here). `labels` go on the Deployment.
 */
export async function createDeployment(
  namespace: string,
  deployment: { readonly name: string; readonly replicaSet: string; readonly pods: readonly string[]; readonly labels?: Record<string, string> },
): Promise<void> {
  const spec = { replicas: deployment.pods.length, selector: { matchLabels: POD_LABELS }, template: POD_TEMPLATE };
  const uid = await createObject({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deployment.name, namespace, labels: deployment.labels ?? {} },
    spec,
  });
  const replicaSet = await createObject({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: deployment.replicaSet, namespace, ownerReferences: controlledBy('apps/v1', 'Deployment', deployment.name, uid) },
    spec,
  });
  await createPods(namespace, deployment.pods, controlledBy('apps/v1', 'ReplicaSet', deployment.replicaSet, replicaSet));
}
