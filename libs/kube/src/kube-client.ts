import { AlertgateError, Code } from '@alertgate/errors';
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
  return { config, k8s };
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
 * retryable (the gateway answers 503 and Alertmanager retries); 409 is a conflict to retry with a
 * fresh read; other 4xx are permanent.
 */
export function mapKubernetesError(err: unknown, what: string): AlertgateError {
  if (err instanceof AlertgateError) return err;
  const status = httpStatusOf(err);
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  if (status === undefined) return new AlertgateError(Code.Unavailable, `${what}: Kubernetes API unreachable (${message})`, { cause: err });
  if (status === 409) return new AlertgateError(Code.Aborted, `${what}: conflict`, { cause: err });
  if (status === 404) return new AlertgateError(Code.NotFound, `${what}: not found`, { cause: err });
  if (status === 429 || status >= 500) return new AlertgateError(Code.Unavailable, `${what}: Kubernetes API answered ${status}`, { cause: err });
  if (status === 401) return new AlertgateError(Code.Unauthenticated, `${what}: Kubernetes API rejected the credentials`, { cause: err });
  if (status === 403) return new AlertgateError(Code.PermissionDenied, `${what}: forbidden by RBAC (${message})`, { cause: err });
  return new AlertgateError(Code.InvalidArgument, `${what}: Kubernetes API answered ${status}: ${message}`, { cause: err });
}
