import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, mapKubernetesError, type KubeClient, type KubernetesAccess } from './kube-client.js';

/** One kind of object to select: its watch path, its list, and the key it is known by. */
export interface SelectedKind {
  /** What log lines and errors call these objects (namespaces, deployments). */
  readonly plural: string;
  readonly path: string;
  readonly list: (client: KubeClient, labelSelector: string) => Promise<K8s.KubernetesListObject<K8s.KubernetesObject>>;
  readonly keyOf: (object: K8s.KubernetesObject) => string;
}

export interface SelectedObjectsOptions {
  readonly access: KubernetesAccess;
  /** A Kubernetes label selector, e.g. remediation.alertgate.io/managed=true. */
  readonly selector: string;
  readonly logger: Logger;
  /** How long a failed watch waits before it is started again. */
  readonly restartDelayMs?: number | undefined;
  readonly kinds: readonly SelectedKind[];
}

const RESTART_DELAY_MS = 2_000;

/**
 * The objects that match a label selector, kept by an informer per kind that lists and watches
 * only the matching ones (the selector goes to the API server), so that asking costs no call and
 * the memory is the matching objects' keys alone. An object whose labels stop matching arrives
 * as a deletion from the selector's watch. A failed watch is started again after a pause;
 * meanwhile the keys known last stay.
 */
export class SelectedObjects {
  private readonly keys = new Set<string>();
  private readonly informers: K8s.Informer<K8s.KubernetesObject>[] = [];
  private stopped = false;

  constructor(private readonly options: SelectedObjectsOptions) {}

  /** Lists the matching objects of every kind and starts watching; resolves once the first lists are in. */
  async start(): Promise<void> {
    const client = await loadKubeClient(this.options.access);
    await Promise.all(this.options.kinds.map((kind) => this.watch(client, kind)));
  }

  private async watch(client: KubeClient, kind: SelectedKind): Promise<void> {
    const { selector, logger } = this.options;
    const informer = client.k8s.makeInformer<K8s.KubernetesObject>(client.config, kind.path, () => kind.list(client, selector), selector);
    informer.on('add', (object) => this.keys.add(kind.keyOf(object)));
    informer.on('update', (object) => this.keys.add(kind.keyOf(object)));
    informer.on('delete', (object) => this.keys.delete(kind.keyOf(object)));
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      logger.warn({ err: errorMessage(err) }, `watch of managed ${kind.plural} failed; restarting, the names known last stay`);
      setTimeout(() => void informer.start().catch(() => undefined), this.options.restartDelayMs ?? RESTART_DELAY_MS).unref();
    });
    this.informers.push(informer);
    try {
      await informer.start();
    } catch (err) {
      throw mapKubernetesError(err, `list ${kind.plural} matching ${selector}`);
    }
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  get size(): number {
    return this.keys.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }
}
