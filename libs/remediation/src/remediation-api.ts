import { AlertgateError, Code } from '@alertgate/errors';
import { KUBE_RETRY, loadKubeClient, mapKubernetesError, withRetry, type KubernetesAccess } from '@alertgate/kube';
import type { Logger } from '@alertgate/logging';
import { FAST_BUCKETS, counter, histogram } from '@alertgate/metrics';
import type * as K8s from '@kubernetes/client-node';
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';

import { RR_GROUP, RR_PLURAL, RR_VERSION, type RemediationRequest } from './remediation-request.js';
import type { StatusTarget } from './status-coalescer.js';
import type { StatusApi } from './status-writer.js';

const FIELD_MANAGER = 'alertgate-crd-writer';
const RESOURCE = { group: RR_GROUP, version: RR_VERSION, plural: RR_PLURAL } as const;

const kubeCalls = counter({
  name: 'alertgate_kube_requests_total',
  help: 'Kubernetes API calls of the crd-writer, by operation and result (ok or the error code).',
  labelNames: ['operation', 'result'],
});
const kubeDuration = histogram({
  name: 'alertgate_kube_request_duration_seconds',
  help: 'Time of each attempt of a Kubernetes API call of the crd-writer, by operation and result (ok or the error code): the API server plus the client.',
  labelNames: ['operation', 'result'],
  buckets: FAST_BUCKETS,
});
const kubeRetries = counter({
  name: 'alertgate_kube_retries_total',
  help: 'Kubernetes API calls retried after a retryable failure (429, 5xx, timeout, connection error).',
  labelNames: ['operation'],
});

/** The calls made on RemediationRequests (a fake in unit tests). */
export type RemediationObjectsApi = Pick<
  CustomObjectsApi,
  'getNamespacedCustomObject' | 'listNamespacedCustomObject' | 'listClusterCustomObject' | 'createNamespacedCustomObject' | 'patchNamespacedCustomObjectStatus'
>;

/** What a watch of RemediationRequests is made from: the loaded kubeconfig and the client package. */
export interface WatchClient {
  readonly config: KubeConfig;
  readonly k8s: typeof K8s;
}

export interface RemediationApiOptions {
  readonly access: KubernetesAccess;
  readonly logger: Logger;
  /** The API to call instead of one built from `access`, for unit tests: then there is no watch client. */
  readonly objects?: RemediationObjectsApi | undefined;
}

interface Client {
  readonly objects: RemediationObjectsApi;
  readonly mergePatch: object;
  readonly watch?: WatchClient;
}

/** A list of RemediationRequests as the API server answers it. */
interface RemediationList {
  readonly items: RemediationRequest[];
}

/**
 * The crd-writer's calls on RemediationRequests, typed: each is retried on a retryable failure
 * (KUBE_RETRY), counted by operation and result, and fails with an AlertgateError (404 NotFound,
 * 409 AlreadyExists or Aborted, 5xx Unavailable: mapKubernetesError). The kubeconfig is loaded on
 * the first call, and again on the first call after reload().
 */
export class RemediationApi implements StatusApi {
  private client: Promise<Client> | undefined;

  constructor(private readonly options: RemediationApiOptions) {}

  get({ namespace, name }: StatusTarget): Promise<RemediationRequest> {
    return this.call(
      `get ${namespace}/${name}`,
      async ({ objects }) => (await objects.getNamespacedCustomObject({ ...RESOURCE, namespace, name })) as RemediationRequest,
    );
  }

  patchStatus({ namespace, name }: StatusTarget, resourceVersion: string | undefined, patch: Record<string, unknown>): Promise<RemediationRequest> {
    return this.call(
      `update status of ${namespace}/${name}`,
      async ({ objects, mergePatch }) =>
        (await objects.patchNamespacedCustomObjectStatus(
          { ...RESOURCE, namespace, name, body: { metadata: { resourceVersion }, status: patch }, fieldManager: FIELD_MANAGER },
          mergePatch,
        )) as RemediationRequest,
    );
  }

  /** Creates the resource; answers it as the API server stored it. */
  create(object: RemediationRequest): Promise<RemediationRequest> {
    const { namespace, name } = object.metadata;
    return this.call(
      `create ${namespace}/${name}`,
      async ({ objects }) =>
        (await objects.createNamespacedCustomObject({ ...RESOURCE, namespace, body: object, fieldManager: FIELD_MANAGER })) as RemediationRequest,
    );
  }

  /** A create the API server checks and admits but does not store (dryRun=All). */
  async dryRunCreate(object: RemediationRequest): Promise<void> {
    const { namespace } = object.metadata;
    await this.call(`dry-run create in ${namespace}`, async ({ objects }): Promise<unknown> =>
      objects.createNamespacedCustomObject({ ...RESOURCE, namespace, body: object, dryRun: 'All', fieldManager: FIELD_MANAGER }),
    );
  }

  /** The resources of a namespace matching a label selector; none when the namespace is missing. */
  async list(namespace: string, labelSelector: string, what: string): Promise<RemediationRequest[]> {
    try {
      const list = await this.call(
        `list ${namespace} by ${what}`,
        async ({ objects }) => (await objects.listNamespacedCustomObject({ ...RESOURCE, namespace, labelSelector })) as RemediationList,
      );
      return list.items;
    } catch (err) {
      if (err instanceof AlertgateError && err.code === Code.NotFound) return [];
      throw err;
    }
  }

  /** The resources of every namespace matching a label selector (at most `limit`, when given). */
  async listAll(what: string, query: { readonly labelSelector?: string; readonly limit?: number }): Promise<RemediationRequest[]> {
    const list = await this.call(`list ${what}`, async ({ objects }) => (await objects.listClusterCustomObject({ ...RESOURCE, ...query })) as RemediationList);
    return list.items;
  }

  /**
   * The list a watch fills its cache from first, as the API server answers it: not retried here,
   * since a watch whose list fails starts again (RemediationWatch).
   */
  async listForWatch(labelSelector: string): Promise<unknown> {
    const { objects } = await this.api();
    return objects.listClusterCustomObject({ ...RESOURCE, labelSelector });
  }

  /** What a watch is made from; refused with a given objects API (unit tests). */
  async watchClient(): Promise<WatchClient> {
    const { watch } = await this.api();
    if (!watch) throw new Error('the watch needs a Kubernetes client, not a given objects API');
    return watch;
  }

  /** The next call loads the kubeconfig again (its file changed). */
  reload(): void {
    this.client = undefined;
  }

  private api(): Promise<Client> {
    const given = this.options.objects;
    this.client ??= given
      ? Promise.resolve({ objects: given, mergePatch: {} })
      : loadKubeClient(this.options.access).then(({ config, k8s }) => ({
          objects: config.makeApiClient(k8s.CustomObjectsApi),
          mergePatch: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
          watch: { config, k8s },
        }));
    return this.client;
  }

  private call<T>(what: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const operation = what.split(' ')[0] ?? what;
    return withRetry(
      KUBE_RETRY,
      async () => {
        const client = await this.api();
        const stop = kubeDuration.startTimer({ operation });
        try {
          const result = await fn(client);
          kubeCalls.inc({ operation, result: 'ok' });
          stop({ result: 'ok' });
          return result;
        } catch (err) {
          const error = mapKubernetesError(err, what);
          kubeCalls.inc({ operation, result: error.code });
          stop({ result: error.code });
          throw error;
        }
      },
      (err, attempt) => {
        kubeRetries.inc({ operation });
        this.options.logger.warn({ what, attempt, err: err.message }, 'Kubernetes API call failed; retrying');
      },
    );
  }
}
