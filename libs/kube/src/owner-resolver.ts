import { AlertgateError, Code, errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, mapKubernetesError, type KubeClient, type KubernetesAccess } from './kube-client.js';
import { KUBE_RETRY, withRetry } from './retry.js';

export interface OwnedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface OwnerResolverOptions {
  readonly access: KubernetesAccess;
  readonly logger: Logger;
  /**
   * How long a followed chain is remembered. Longer than the dedup window, so that the resolution
   * of a pod deleted while its incident was open (a rollout replaced it) still finds the workload
   * the pod's firing was counted on.
   */
  readonly ttlMs?: number;
  /** How long a chain that could not be followed (API down, RBAC) is remembered: soon asked again. */
  readonly failureTtlMs?: number;
  /** Objects remembered at most; the least recently used is forgotten first. */
  readonly maxEntries?: number;
  /** Controllers known from a watch (ControllerIndex): what it knows costs no API read. */
  readonly index?: { lookup(object: OwnedObject): { readonly controller: OwnedObject | undefined } | undefined } | undefined;
}

const OWNER_RESOLVER_DEFAULTS = { ttlMs: 6 * 3_600_000, failureTtlMs: 10_000, maxEntries: 50_000 } as const;

/** Controller chains are short (Pod → ReplicaSet → Deployment; Pod → Job → CronJob). */
const MAX_DEPTH = 5;

interface Entry {
  readonly owner: OwnedObject;
  readonly until: number;
}

const keyOf = (object: OwnedObject): string => `${object.apiVersion}/${object.kind}/${object.namespace}/${object.name}`;

/**
 * Finds the top-level controller of an object by following controller ownerReferences through
 * the API (Pod → ReplicaSet → Deployment), so that the signals of all pods of a workload are one
 * incident. Pods, ReplicaSets and Jobs are read from a ControllerIndex when one is given and knows
 * them; the others (a Deployment, whose owner is usually none) from the API. Every object of a
 * chain is remembered, so the pods of one ReplicaSet read it once;
 * lookups of one object in flight at once share one read. When the chain cannot be followed
 * (object gone, RBAC, API down) the last object reached is used and the reason logged: a signal
 * is never refused for it.
 */
export class OwnerResolver {
  private client: Promise<{ objects: K8s.KubernetesObjectApi }> | undefined;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();
  private readonly options: Required<Omit<OwnerResolverOptions, 'index'>> & Pick<OwnerResolverOptions, 'index'>;

  constructor(options: OwnerResolverOptions) {
    this.options = { ...OWNER_RESOLVER_DEFAULTS, ...options };
  }

  private api(): Promise<{ objects: K8s.KubernetesObjectApi }> {
    this.client ??= loadKubeClient(this.options.access).then(({ config, k8s }: KubeClient) => ({ objects: k8s.KubernetesObjectApi.makeApiClient(config) }));
    return this.client;
  }

  /** Objects remembered now (bounded by maxEntries). */
  get size(): number {
    return this.cache.size;
  }

  async topOwner(object: OwnedObject): Promise<OwnedObject> {
    return (await this.resolve(object, 0)).owner;
  }

  private async resolve(object: OwnedObject, depth: number): Promise<Entry> {
    const key = keyOf(object);
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) {
      // Least recently used first out: a hit moves to the end.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const lookup = this.follow(object, depth).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, lookup);
    return lookup;
  }

  /** Reads the object, and resolves its controller in turn; remembers the answer. */
  private async follow(object: OwnedObject, depth: number): Promise<Entry> {
    let entry: Entry;
    try {
      const controller = depth < MAX_DEPTH ? await this.controllerOf(object) : undefined;
      entry = controller ? await this.resolve(controller, depth + 1) : { owner: object, until: Date.now() + this.options.ttlMs };
    } catch (err) {
      // An object that is gone is common (a pod replaced since its alert fired): not worth a warning.
      const gone = AlertgateError.from(err).code === Code.NotFound;
      this.options.logger[gone ? 'debug' : 'warn'](
        { object: keyOf(object), err: errorMessage(err) },
        'owner resolution stopped early: the object is its own target',
      );
      entry = { owner: object, until: Date.now() + this.options.failureTtlMs };
    }
    this.remember(keyOf(object), entry);
    return entry;
  }

  private async controllerOf(object: OwnedObject): Promise<OwnedObject | undefined> {
    const known = this.options.index?.lookup(object);
    if (known) return known.controller;
    const { objects } = await this.api();
    const found = await withRetry(KUBE_RETRY, async () => {
      try {
        return await objects.read({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.name, namespace: object.namespace } });
      } catch (err) {
        throw mapKubernetesError(err, `read ${object.kind} ${object.namespace}/${object.name}`);
      }
    });
    const controller = found.metadata?.ownerReferences?.find((reference) => reference.controller === true);
    // The API server validates ownerReferences; one without a name is treated as none.
    if (!controller?.apiVersion || !controller.kind || !controller.name) return undefined;
    return { apiVersion: controller.apiVersion, kind: controller.kind, namespace: object.namespace, name: controller.name };
  }

  private remember(key: string, entry: Entry): void {
    this.cache.delete(key);
    while (this.cache.size >= this.options.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    this.cache.set(key, entry);
  }
}
