import type * as K8s from '@kubernetes/client-node';

import type { KubeClient } from './kube-client.js';
import { SelectedObjects, type SelectedKind, type SelectedObjectsOptions } from './selected-objects.js';

export type ManagedWorkloadsOptions = Omit<SelectedObjectsOptions, 'kinds'>;

const keyOf = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

type Lister = (client: KubeClient, labelSelector: string) => Promise<K8s.KubernetesListObject<K8s.KubernetesObject>>;

/** A kind a workload incident's target can be, as signals name it (lower case). */
function workloadKind(kind: string, path: string, list: Lister): SelectedKind {
  return { plural: `${kind}s`, path, list, keyOf: (object) => keyOf(kind, object.metadata?.namespace ?? '', object.metadata?.name ?? '') };
}

const apps = ({ config, k8s }: KubeClient): K8s.AppsV1Api => config.makeApiClient(k8s.AppsV1Api);
const batch = ({ config, k8s }: KubeClient): K8s.BatchV1Api => config.makeApiClient(k8s.BatchV1Api);

const WORKLOAD_KINDS: readonly SelectedKind[] = [
  workloadKind('deployment', '/apis/apps/v1/deployments', (client, labelSelector) => apps(client).listDeploymentForAllNamespaces({ labelSelector })),
  workloadKind('statefulset', '/apis/apps/v1/statefulsets', (client, labelSelector) => apps(client).listStatefulSetForAllNamespaces({ labelSelector })),
  workloadKind('daemonset', '/apis/apps/v1/daemonsets', (client, labelSelector) => apps(client).listDaemonSetForAllNamespaces({ labelSelector })),
  workloadKind('cronjob', '/apis/batch/v1/cronjobs', (client, labelSelector) => batch(client).listCronJobForAllNamespaces({ labelSelector })),
  workloadKind('job', '/apis/batch/v1/jobs', (client, labelSelector) => batch(client).listJobForAllNamespaces({ labelSelector })),
];

/**
 * The workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs) that match a label
 * selector (MANAGED_WORKLOAD_SELECTOR).
 */
export class ManagedWorkloads {
  private readonly objects: SelectedObjects;

  constructor(options: ManagedWorkloadsOptions) {
    this.objects = new SelectedObjects({ ...options, kinds: WORKLOAD_KINDS });
  }

  /** Lists the matching workloads of every kind and starts watching; resolves once the first lists are in. */
  start(): Promise<void> {
    return this.objects.start();
  }

  /** Whether the workload (kind as signals name it: deployment, statefulset, daemonset, cronjob, job) matches. */
  has(kind: string, namespace: string, name: string): boolean {
    return this.objects.has(keyOf(kind, namespace, name));
  }

  get size(): number {
    return this.objects.size;
  }

  stop(): Promise<void> {
    return this.objects.stop();
  }
}
