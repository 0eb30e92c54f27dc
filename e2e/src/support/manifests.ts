import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { kubectl, repoRoot } from '@alertgate/testing';
import { parseAllDocuments } from 'yaml';

interface Container {
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
    template?: {
      spec: {
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; seccompProfile?: { type?: string } };
        containers: Container[];
      };
    };
  };
}

/** An overlay of k8s/ as kubectl kustomize renders it. */
export async function render(overlay: 'dev' | 'prod'): Promise<K8sObject[]> {
  const out = await kubectl(['kustomize', join(repoRoot(), 'k8s', 'overlays', overlay)]);
  return parseAllDocuments(out).map((doc) => doc.toJSON() as K8sObject);
}

/** An overlay with kustomize components of k8s/components added, as an operator would use them. */
export async function renderWith(overlay: 'dev' | 'prod', components: readonly string[]): Promise<K8sObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-kustomize-'));
  try {
    // kustomize takes only relative paths to other roots.
    const k8s = relative(dir, join(repoRoot(), 'k8s'));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${k8s}/overlays/${overlay}]\ncomponents: [${components.map((c) => `${k8s}/components/${c}`).join(', ')}]\n`,
    );
    const out = await kubectl(['kustomize', dir]);
    return parseAllDocuments(out).map((doc) => doc.toJSON() as K8sObject);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rendered alertgate-config ConfigMap's data: every service's environment. */
export async function renderedConfig(overlay: 'dev' | 'prod'): Promise<Record<string, string>> {
  const config = (await render(overlay)).find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('alertgate-config'));
  if (!config?.data) throw new Error(`no alertgate-config ConfigMap in the ${overlay} overlay`);
  return config.data;
}
