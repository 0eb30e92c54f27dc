import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, mapKubernetesError, type KubernetesAccess } from './kube-client.js';

export interface ManagedNamespacesOptions {
  readonly access: KubernetesAccess;
  /** A Kubernetes label selector, e.g. remediation.alertgate.io/managed=true. */
  readonly selector: string;
  readonly logger: Logger;
  /** How long a failed watch waits before it is started again. */
  readonly restartDelayMs?: number;
}

/** A label selector's requirement: `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`. */
const KEY = String.raw`(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?`;
const REQUIREMENT = new RegExp(String.raw`^(?:!?${KEY}|${KEY}\s*(?:==|!=|=)\s*${VALUE}|${KEY}\s+(?:in|notin)\s+\(\s*${VALUE}(?:\s*,\s*${VALUE})*\s*\))$`);

/** Why a label selector is not one the API server takes, or undefined when it is. */
export function labelSelectorProblem(selector: string): string | undefined {
  if (selector.trim() === '') return 'is empty';
  const requirements: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      requirements.push(current.trim());
      current = '';
    } else current += char;
  }
  requirements.push(current.trim());
  const bad = requirements.find((requirement) => !REQUIREMENT.test(requirement));
  return bad === undefined ? undefined : `'${bad}' is not a label selector requirement (key, !key, key=value, key!=value, key in (a,b), key notin (a,b))`;
}

/**
 * The namespaces that match a label selector, kept by a watch of the API (an informer: one list,
 * then changes), so that deciding costs no call per signal. Its memory is the names of the
 * matching namespaces. A failed watch is started again after a pause; meanwhile the names known
 * last stay.
 */
export class ManagedNamespaces {
  private readonly names = new Set<string>();
  private informer: K8s.Informer<K8s.V1Namespace> | undefined;
  private stopped = false;

  constructor(private readonly options: ManagedNamespacesOptions) {}

  /** Lists the matching namespaces and starts watching; resolves once the first list is in. */
  async start(): Promise<void> {
    const { config, k8s } = await loadKubeClient(this.options.access);
    const core = config.makeApiClient(k8s.CoreV1Api);
    const { selector, logger } = this.options;
    const informer = k8s.makeInformer<K8s.V1Namespace>(config, '/api/v1/namespaces', () => core.listNamespace({ labelSelector: selector }), selector);
    informer.on('add', (namespace) => this.names.add(namespace.metadata?.name ?? ''));
    informer.on('update', (namespace) => this.names.add(namespace.metadata?.name ?? ''));
    // A namespace whose labels stop matching arrives as a deletion from the selector's watch.
    informer.on('delete', (namespace) => this.names.delete(namespace.metadata?.name ?? ''));
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      logger.warn({ err: errorMessage(err) }, 'watch of managed namespaces failed; restarting, the names known last stay');
      setTimeout(() => void informer.start().catch(() => undefined), this.options.restartDelayMs ?? 2_000).unref();
    });
    this.informer = informer;
    try {
      await informer.start();
    } catch (err) {
      throw mapKubernetesError(err, `list namespaces matching ${selector}`);
    }
  }

  has(namespace: string): boolean {
    return this.names.has(namespace);
  }

  get size(): number {
    return this.names.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
  }
}
