import type { AgentOptions } from 'node:https';

import { AlertgateError, Code, errorMessage } from '@alertgate/errors';
import type * as K8s from '@kubernetes/client-node';

/** How a service reaches the API server: a kubeconfig file, or its pod's ServiceAccount. */
export type KubernetesAccess = { readonly kubeconfigPath: string } | { readonly inCluster: true };

export interface KubeClient {
  readonly config: K8s.KubeConfig;
  readonly k8s: typeof K8s;
}

/**
 * Loads @kubernetes/client-node (ESM-only, so lazily with import(), which keeps the CommonJS
 * bundles simple) and a KubeConfig for the given access.
 */
export async function loadKubeClient(access: KubernetesAccess): Promise<KubeClient> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  if ('inCluster' in access) config.loadFromCluster();
  else config.loadFromFile(access.kubeconfigPath);
  reuseConnections(config);
  return { config, k8s };
}

/** TLS material (strings, buffers, lists of them, or objects with them) as text, to compare. */
function tlsText(part: unknown): string {
  if (part === undefined || part === null) return '';
  if (Buffer.isBuffer(part)) return part.toString('base64');
  if (Array.isArray(part)) return part.map(tlsText).join(',');
  if (typeof part === 'string' || typeof part === 'boolean' || typeof part === 'number') return String(part);
  return JSON.stringify(part);
}

/** Whether two pieces of TLS material are the same, by content (client-node reads them anew per call). */
function samePart(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((part, i) => samePart(part, b[i]));
  return tlsText(a) === tlsText(b);
}

/** The TLS material a connection pool is made for; a pool is reused while it stays the same. */
function tlsParts(options: AgentOptions): unknown[] {
  return [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.servername, options.rejectUnauthorized];
}

/**
 * How long a replaced agent keeps its sockets: requests already sent on it finish (client
 * requests time out well before this), then its keep-alive connections are closed.
 */
export const RETIRED_AGENT_GRACE_MS = 60_000;

/** A pool of connections: an https.Agent (destroy) or an undici Agent (destroy, a promise). */
interface Pool {
  destroy(): unknown;
}

/**
 * Wraps one of client-node's per-request pool factories so that it hands out the last pool
 * while the TLS material is the same, and retires the old pool after RETIRED_AGENT_GRACE_MS
 * when it changes.
 */
function reusePools<P extends Pool | undefined>(
  create: (cluster: unknown, options: AgentOptions) => P,
  keepAlive: (options: AgentOptions) => AgentOptions,
): (cluster: unknown, options: AgentOptions) => P {
  let current: { pool: P; parts: unknown[] } | undefined;
  return (cluster, options) => {
    const parts = tlsParts(options);
    const last = current;
    if (last && parts.every((part, i) => samePart(part, last.parts[i]))) return last.pool;
    if (last?.pool) {
      const retired = last.pool;
      setTimeout(() => void Promise.resolve(retired.destroy()).catch(() => undefined), RETIRED_AGENT_GRACE_MS).unref();
    }
    current = { pool: create(cluster, keepAlive(options)), parts };
    return current.pool;
  };
}

type PoolFactory = (cluster: unknown, options: AgentOptions) => Pool | undefined;

/**
 * @kubernetes/client-node makes a new connection pool for every request: 1.x an https.Agent
 * (createAgent), 2.x an undici Agent (createDispatcher, for every API call and watch). So every
 * API call paid a TLS handshake and a fresh secure context (CA and key parsed again): most of the
 * crd-writer's CPU per created resource (npm run bench, workload d), and with 2.x three times
 * the 503s of a flood of creates (e2e/src/poisoned-webhooks). Here one keep-alive pool serves
 * every request with the same TLS material. client-node reads that material anew for every
 * request (the CA file in a pod, the kubeconfig's base64 data), so it is compared by content with
 * the last request's (Buffer.equals: no hashing per call). When it changes (a rotated
 * certificate) the next request gets a new pool and the old one is closed after
 * RETIRED_AGENT_GRACE_MS: pools of old certificates do not pile up (kube-client.spec.ts).
 */
export function reuseConnections(config: K8s.KubeConfig): void {
  const target = config as unknown as { createAgent?: PoolFactory; createDispatcher?: PoolFactory };
  if (target.createAgent) target.createAgent = reusePools(target.createAgent.bind(config), (options) => ({ ...options, keepAlive: true }));
  // undici's Agent keeps connections alive by itself.
  if (target.createDispatcher) target.createDispatcher = reusePools(target.createDispatcher.bind(config), (options) => options);
}

/** HTTP status of a client error, if it has one. */
export function httpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** The Status object the API server sent with an error, if any. */
export function statusBodyOf(err: unknown): { reason?: string; details?: { kind?: string } } {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { reason?: string; details?: { kind?: string } };
    } catch {
      return {};
    }
  }
  return typeof body === 'object' && body !== null ? body : {};
}

/**
 * The one mapping of Kubernetes API failures: 429, 5xx, timeouts and connection errors are
 * retryable (the gateway answers 503 and Alertmanager retries); 409 is AlreadyExists on a create
 * (the object is there: success for an idempotent create) and otherwise a conflict, to retry with a
 * fresh read, never with the same stale object; other 4xx are permanent.
 */
export function mapKubernetesError(err: unknown, what: string): AlertgateError {
  if (err instanceof AlertgateError) return err;
  const status = httpStatusOf(err);
  const message = errorMessage(err).split('\n')[0] ?? '';
  if (status === undefined) return new AlertgateError(Code.Unavailable, `${what}: Kubernetes API unreachable (${message})`, { cause: err });
  if (status === 409 && statusBodyOf(err).reason === 'AlreadyExists') return new AlertgateError(Code.AlreadyExists, `${what}: already exists`, { cause: err });
  if (status === 409) return new AlertgateError(Code.Aborted, `${what}: conflict`, { cause: err });
  if (status === 404) return new AlertgateError(Code.NotFound, `${what}: not found`, { cause: err });
  if (status === 429 || status >= 500) return new AlertgateError(Code.Unavailable, `${what}: Kubernetes API answered ${status}`, { cause: err });
  if (status === 401) return new AlertgateError(Code.Unauthenticated, `${what}: Kubernetes API rejected the credentials`, { cause: err });
  if (status === 403) return new AlertgateError(Code.PermissionDenied, `${what}: forbidden by RBAC (${message})`, { cause: err });
  return new AlertgateError(Code.InvalidArgument, `${what}: Kubernetes API answered ${status}: ${message}`, { cause: err });
}
