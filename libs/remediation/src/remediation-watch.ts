import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type * as K8s from '@kubernetes/client-node';
import type { Informer, KubeConfig, KubernetesObject, ObjectCache } from '@kubernetes/client-node';

import { keyOf } from './own-writes.js';
import { isTerminal, RR_GROUP, RR_PLURAL, RR_VERSION, type RemediationRequest } from './remediation-request.js';

/** How long a failed watch waits before it lists and watches again. */
const RESTART_DELAY_MS = 2_000;

export interface RemediationWatchOptions {
  readonly logger: Logger;
  /** A resource as the watch delivered it, added or changed. */
  readonly onSeen: (object: RemediationRequest) => void;
  readonly onDeleted: (object: RemediationRequest) => void;
  /** A resource whose phase turned terminal: once, when the watch sees it turn. */
  readonly onTerminal: (object: RemediationRequest) => void;
}

/** What a watch is made from: the client, and the list that fills its cache first. */
export interface WatchSource {
  readonly config: KubeConfig;
  readonly k8s: typeof K8s;
  /** The label selector of the resources watched (this installation's). */
  readonly selector: string;
  readonly list: () => Promise<unknown>;
}

const terminalPhase = (phase: string | undefined): boolean => phase !== undefined && isTerminal({ status: { phase } });

/**
 * A list-and-watch cache of alertgate's RemediationRequests: fewer reads, and the phases that
 * turn terminal reported as they do, so that the dedup window is cleared by event, not by
 * polling. A failed watch lists and watches again by itself; until it has, it is not synced.
 */
export class RemediationWatch {
  private informer: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>) | undefined;
  /**
   * True while the watch runs and its cache holds every resource watched: then a cache miss
   * means "absent" without asking the API server (a resource created meanwhile by another call
   * is met as AlreadyExists on create, which reads it fresh). Halves the calls per new incident
   * (npm run bench, workload d).
   */
  private isSynced = false;
  private readonly phases = new Map<string, string>();

  constructor(private readonly options: RemediationWatchOptions) {}

  get synced(): boolean {
    return this.isSynced && this.informer !== undefined;
  }

  /** Lists, then watches; resolves once the cache holds every resource. */
  async start(source: WatchSource): Promise<void> {
    const informer = source.k8s.makeInformer<KubernetesObject>(
      source.config,
      `/apis/${RR_GROUP}/${RR_VERSION}/${RR_PLURAL}`,
      source.list as never,
      source.selector,
    );
    // Generic objects arrive as plain JSON: the RemediationRequest shape.
    const rr = (object: KubernetesObject): RemediationRequest => object as unknown as RemediationRequest;
    informer.on('add', (object) => this.seen(rr(object), false));
    informer.on('update', (object) => this.seen(rr(object), true));
    informer.on('delete', (object) => {
      this.phases.delete(keyOf(rr(object)));
      this.options.onDeleted(rr(object));
    });
    informer.on('error', (err: unknown) => this.restart(informer, err));
    this.informer = informer;
    await informer.start();
    this.isSynced = true;
  }

  async stop(): Promise<void> {
    const informer = this.informer;
    this.informer = undefined;
    this.isSynced = false;
    await informer?.stop();
  }

  /** The cache's copy of a resource, synced or not. */
  get(namespace: string, name: string): RemediationRequest | undefined {
    return this.informer?.get(name, namespace) as RemediationRequest | undefined;
  }

  /** Every resource watched (in a namespace), or undefined while the cache may miss some. */
  list(namespace?: string): RemediationRequest[] | undefined {
    if (!this.synced || !this.informer) return undefined;
    return this.informer.list(namespace) as unknown as RemediationRequest[];
  }

  /** `changed`: an update, which may turn the phase terminal (an add is how the watch found it). */
  private seen(object: RemediationRequest, changed: boolean): void {
    const before = this.phases.get(keyOf(object));
    this.phases.set(keyOf(object), object.status?.phase ?? '');
    this.options.onSeen(object);
    if (changed && isTerminal(object) && !terminalPhase(before)) this.options.onTerminal(object);
  }

  private restart(informer: Informer<KubernetesObject>, err: unknown): void {
    // A watch stopped or replaced (the kubeconfig changed) is not restarted.
    if (this.informer !== informer) return;
    this.isSynced = false;
    this.options.logger.warn({ err: errorMessage(err) }, 'watch of RemediationRequests failed; restarting');
    setTimeout(
      () =>
        void informer.start().then(
          () => (this.isSynced = this.informer === informer),
          () => undefined,
        ),
      RESTART_DELAY_MS,
    ).unref();
  }
}
