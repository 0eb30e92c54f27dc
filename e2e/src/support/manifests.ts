import { join } from 'node:path';

import { kubectl, repoRoot } from '@alertgate/testing';
import { parseAllDocuments } from 'yaml';

export interface Container {
  name: string;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: object;
  readinessProbe?: object;
}

export interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: {
    template?: { spec: { securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; seccompProfile?: { type?: string } }; containers: Container[] } };
  };
}

/** An overlay of k8s/ as kubectl kustomize renders it. */
export async function render(overlay: 'dev' | 'prod'): Promise<K8sObject[]> {
  const out = await kubectl(['kustomize', join(repoRoot(), 'k8s', 'overlays', overlay)]);
  return parseAllDocuments(out).map((doc) => doc.toJSON() as K8sObject);
}

/** The rendered alertgate-config ConfigMap's data: every service's environment. */
export async function renderedConfig(overlay: 'dev' | 'prod'): Promise<Record<string, string>> {
  const config = (await render(overlay)).find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('alertgate-config'));
  if (!config?.data) throw new Error(`no alertgate-config ConfigMap in the ${overlay} overlay`);
  return config.data;
}
