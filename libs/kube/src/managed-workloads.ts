import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, mapKubernetesError, type KubernetesAccess } from './kube-client.js';

export interface ManagedWorkloadsOptions {
  readonly access: KubernetesAccess;
  /** A Kubernetes label selector, e.g. remediation.alertgate.io/managed=true. */
  readonly selector: string;
  readonly logger: Logger;
  /** How long a failed watch waits before it is started again. */
  readonly restartDelayMs?: number;
}

interface Apis {
  readonly apps: K8s.AppsV1Api;
  readonly batch: K8s.BatchV1Api;
}

type Lister = (apis: Apis, labelSelector: string) => Promise<K8s.KubernetesListObject<K8s.KubernetesObject>>;

/** The kinds a workload incident's target can be, as signals name them (lower case), with their list and watch. */
const WORKLOAD_KINDS: readonly { readonly kind: string; readonly path: string; readonly list: Lister }[] = [
  { kind: 'deployment', path: '/apis/apps/v1/deployments', list: ({ apps }, labelSelector) => apps.listDeploymentForAllNamespaces({ labelSelector }) },
  { kind: 'statefulset', path: '/apis/apps/v1/statefulsets', list: ({ apps }, labelSelector) => apps.listStatefulSetForAllNamespaces({ labelSelector }) },
  { kind: 'daemonset', path: '/apis/apps/v1/daemonsets', list: ({ apps }, labelSelector) => apps.listDaemonSetForAllNamespaces({ labelSelector }) },
  { kind: 'cronjob', path: '/apis/batch/v1/cronjobs', list: ({ batch }, labelSelector) => batch.listCronJobForAllNamespaces({ labelSelector }) },
  { kind: 'job', path: '/apis/batch/v1/jobs', list: ({ batch }, labelSelector) => batch.listJobForAllNamespaces({ labelSelector }) },
];

const keyOf = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

/**
 * The workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs) that match a label
 * selector, kept by an informer per kind that lists and watches only the matching ones, so that
 * the opt-in costs no call per signal and its memory is the matching workloads alone. A failed
 * watch is started again after a pause; meanwhile the names known last stay.
 */
export class ManagedWorkloads {
  private readonly names = new Set<string>();
  private readonly informers: K8s.Informer<K8s.KubernetesObject>[] = [];
  private stopped = false;

  constructor(private readonly options: ManagedWorkloadsOptions) {}

  /** Lists the matching workloads of every kind and starts watching; resolves once the first lists are in. */
  async start(): Promise<void> {
    const { config, k8s } = await loadKubeClient(this.options.access);
    const apis: Apis = { apps: config.makeApiClient(k8s.AppsV1Api), batch: config.makeApiClient(k8s.BatchV1Api) };
    const { selector, logger } = this.options;
    await Promise.all(
      WORKLOAD_KINDS.map(async ({ kind, path, list }) => {
        const informer = k8s.makeInformer<K8s.KubernetesObject>(config, path, () => list(apis, selector), selector);
        const key = (object: K8s.KubernetesObject): string => keyOf(kind, object.metadata?.namespace ?? '', object.metadata?.name ?? '');
        informer.on('add', (object) => this.names.add(key(object)));
        informer.on('update', (object) => this.names.add(key(object)));
        // A workload whose labels stop matching arrives as a deletion from the selector's watch.
        informer.on('delete', (object) => this.names.delete(key(object)));
        informer.on('error', (err: unknown) => {
          if (this.stopped) return;
          logger.warn({ kind, err: errorMessage(err) }, 'watch of managed workloads failed; restarting, the names known last stay');
          setTimeout(() => void informer.start().catch(() => undefined), this.options.restartDelayMs ?? 2_000).unref();
        });
        this.informers.push(informer);
        try {
          await informer.start();
        } catch (err) {
          throw mapKubernetesError(err, `list ${kind}s matching ${selector}`);
        }
      }),
    );
  }

  /** Whether the workload (kind as signals name it: deployment, statefulset, daemonset, cronjob, job) matches. */
  has(kind: string, namespace: string, name: string): boolean {
    return this.names.has(keyOf(kind, namespace, name));
  }

  get size(): number {
    return this.names.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }
}
