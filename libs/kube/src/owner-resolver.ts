import { errorMessage } from '@alertgate/errors';
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

/** Controller chains are short (Pod → ReplicaSet → Deployment; Pod → Job → CronJob). */
const MAX_DEPTH = 5;
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

/**
 * Finds the top-level controller of an object by following controller ownerReferences through
 * the API (Pod → ReplicaSet → Deployment), so that the Warning events of all pods of a workload
 * fold into one incident. When the chain cannot be followed (object gone, RBAC, API down) the
 * last object reached is used and the reason logged: an event is never refused for it.
 */
export class OwnerResolver {
  private client: Promise<{ objects: K8s.KubernetesObjectApi }> | undefined;
  private readonly cache = new Map<string, { owner: OwnedObject; at: number }>();

  constructor(
    private readonly access: KubernetesAccess,
    private readonly logger: Logger,
  ) {}

  private api(): Promise<{ objects: K8s.KubernetesObjectApi }> {
    this.client ??= loadKubeClient(this.access).then(({ config, k8s }: KubeClient) => ({ objects: k8s.KubernetesObjectApi.makeApiClient(config) }));
    return this.client;
  }

  async topOwner(object: OwnedObject): Promise<OwnedObject> {
    const key = `${object.apiVersion}/${object.kind}/${object.namespace}/${object.name}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.owner;
    let current = object;
    try {
      const { objects } = await this.api();
      for (let depth = 0; depth < MAX_DEPTH; depth++) {
        const found = await withRetry(KUBE_RETRY, async () => {
          try {
            return await objects.read({ apiVersion: current.apiVersion, kind: current.kind, metadata: { name: current.name, namespace: current.namespace } });
          } catch (err) {
            throw mapKubernetesError(err, `read ${current.kind} ${current.namespace}/${current.name}`);
          }
        });
        const controller = found.metadata?.ownerReferences?.find((reference) => reference.controller === true);
        if (!controller) break;
        current = { apiVersion: controller.apiVersion, kind: controller.kind, namespace: current.namespace, name: controller.name };
      }
    } catch (err) {
      this.logger.warn({ object: key, reached: `${current.kind}/${current.name}`, err: errorMessage(err) }, 'owner resolution stopped early');
    }
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value ?? '');
    this.cache.set(key, { owner: current, at: Date.now() });
    return current;
  }
}
