import { AlertgateError, Code } from '@alertgate/errors';
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';

import {
  buildRemediationRequest,
  FINGERPRINT_LABEL_DIGITS,
  LABEL_FINGERPRINT,
  mergeOpenStatus,
  openStatus,
  resolvedStatus,
  resourceName,
  RR_GROUP,
  RR_PLURAL,
  RR_VERSION,
  type OpenIncident,
  type RemediationRequest,
} from './remediation-request.js';
import type { OpenResult, RemediationSink, ResolveRequest, ResolveResult } from './remediation-sink.js';

export type KubernetesAccess = { readonly kubeconfigPath: string } | { readonly inCluster: true };

const FIELD_MANAGER = 'alertgate-crd-writer';

/** HTTP status of a client error, if it has one. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The one mapping of Kubernetes API failures: 429, 5xx, timeouts and connection errors are
 * retryable (the gateway answers 503 and Alertmanager retries); 409 is a conflict to retry with a
 * fresh read; other 4xx are permanent.
 */
export function mapKubernetesError(err: unknown, what: string): AlertgateError {
  if (err instanceof AlertgateError) return err;
  const status = statusOf(err);
  const message = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
  if (status === undefined) return new AlertgateError(Code.Unavailable, `${what}: Kubernetes API unreachable (${message})`, { cause: err });
  if (status === 409) return new AlertgateError(Code.Aborted, `${what}: conflict`, { cause: err });
  if (status === 404) return new AlertgateError(Code.NotFound, `${what}: not found`, { cause: err });
  if (status === 429 || status >= 500) return new AlertgateError(Code.Unavailable, `${what}: Kubernetes API answered ${status}`, { cause: err });
  if (status === 401) return new AlertgateError(Code.Unauthenticated, `${what}: Kubernetes API rejected the credentials`, { cause: err });
  if (status === 403) return new AlertgateError(Code.PermissionDenied, `${what}: forbidden by RBAC`, { cause: err });
  return new AlertgateError(Code.InvalidArgument, `${what}: Kubernetes API answered ${status}: ${message}`, { cause: err });
}

/**
 * Writes RemediationRequests to a real API server. Create, then record status through the status
 * subresource (the API server ignores status on create). AlreadyExists is success: the name is
 * deterministic per incident, so a second gateway or a retried webhook lands on the same object.
 */
export class KubernetesSink implements RemediationSink {
  readonly kind = 'kubernetes';
  private api: Promise<{ objects: CustomObjectsApi; mergePatch: object }> | undefined;

  constructor(private readonly access: KubernetesAccess) {}

  private client(): Promise<{ objects: CustomObjectsApi; mergePatch: object }> {
    // @kubernetes/client-node is ESM-only; loading it lazily keeps the CommonJS bundles simple.
    this.api ??= import('@kubernetes/client-node').then((k8s) => {
      const config: KubeConfig = new k8s.KubeConfig();
      if ('inCluster' in this.access) config.loadFromCluster();
      else config.loadFromFile(this.access.kubeconfigPath);
      return {
        objects: config.makeApiClient(k8s.CustomObjectsApi),
        mergePatch: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      };
    });
    return this.api;
  }

  private async get(namespace: string, name: string): Promise<RemediationRequest | undefined> {
    const { objects } = await this.client();
    try {
      return (await objects.getNamespacedCustomObject({ group: RR_GROUP, version: RR_VERSION, namespace, plural: RR_PLURAL, name })) as RemediationRequest;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw mapKubernetesError(err, `get ${namespace}/${name}`);
    }
  }

  private async patchStatus(object: RemediationRequest, status: RemediationRequest['status']): Promise<void> {
    const { objects, mergePatch } = await this.client();
    const { namespace, name } = object.metadata;
    try {
      await objects.patchNamespacedCustomObjectStatus(
        { group: RR_GROUP, version: RR_VERSION, namespace, plural: RR_PLURAL, name, body: { status }, fieldManager: FIELD_MANAGER },
        mergePatch,
      );
    } catch (err) {
      throw mapKubernetesError(err, `update status of ${namespace}/${name}`);
    }
  }

  async open(incident: OpenIncident, namespace: string): Promise<OpenResult> {
    const { objects } = await this.client();
    const object = buildRemediationRequest(incident, namespace);
    const { name } = object.metadata;
    let created = false;
    let current: RemediationRequest | undefined;
    try {
      current = (await objects.createNamespacedCustomObject({
        group: RR_GROUP,
        version: RR_VERSION,
        namespace,
        plural: RR_PLURAL,
        body: object,
        fieldManager: FIELD_MANAGER,
      })) as RemediationRequest;
      created = true;
    } catch (err) {
      if (statusOf(err) !== 409) throw mapKubernetesError(err, `create ${namespace}/${name}`);
      current = await this.get(namespace, name);
    }
    const status = mergeOpenStatus(current?.status, openStatus(incident));
    if (current && status) await this.patchStatus(current, status);
    return { created, ref: { namespace, name } };
  }

  async resolve(request: ResolveRequest, namespace: string): Promise<ResolveResult> {
    let current = request.incidentId ? await this.get(namespace, resourceName(request.signal.alertname, request.incidentId)) : undefined;
    current ??= await this.findOpen(namespace, request.signal.fingerprint);
    if (!current) return {};
    const status = resolvedStatus(current.status, request.resolvedAtMs);
    if (status) await this.patchStatus(current, status);
    return { ref: { namespace, name: current.metadata.name } };
  }

  private async findOpen(namespace: string, fingerprint: string): Promise<RemediationRequest | undefined> {
    const { objects } = await this.client();
    let items: RemediationRequest[];
    try {
      const list = (await objects.listNamespacedCustomObject({
        group: RR_GROUP,
        version: RR_VERSION,
        namespace,
        plural: RR_PLURAL,
        labelSelector: `${LABEL_FINGERPRINT}=${fingerprint.slice(0, FINGERPRINT_LABEL_DIGITS)}`,
      })) as { items: RemediationRequest[] };
      items = list.items;
    } catch (err) {
      throw mapKubernetesError(err, `list ${namespace} by fingerprint`);
    }
    return items
      .filter((item) => item.spec.fingerprint === fingerprint && !item.status?.resolvedAt)
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
  }

  async check(): Promise<void> {
    const { objects } = await this.client();
    try {
      await objects.listClusterCustomObject({ group: RR_GROUP, version: RR_VERSION, plural: RR_PLURAL, limit: 1 });
    } catch (err) {
      throw mapKubernetesError(err, 'list remediationrequests');
    }
  }
}
