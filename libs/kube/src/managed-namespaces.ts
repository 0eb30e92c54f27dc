import { SelectedObjects, type SelectedObjectsOptions } from './selected-objects.js';

export type ManagedNamespacesOptions = Omit<SelectedObjectsOptions, 'kinds'>;

/** The namespaces that match a label selector (MANAGED_NAMESPACE_SELECTOR), by name. */
export class ManagedNamespaces {
  private readonly objects: SelectedObjects;

  constructor(options: ManagedNamespacesOptions) {
    this.objects = new SelectedObjects({
      ...options,
      kinds: [
        {
          plural: 'namespaces',
          path: '/api/v1/namespaces',
          list: ({ config, k8s }, labelSelector) => config.makeApiClient(k8s.CoreV1Api).listNamespace({ labelSelector }),
          keyOf: (namespace) => namespace.metadata?.name ?? '',
        },
      ],
    });
  }

  /** Lists the matching namespaces and starts watching; resolves once the first list is in. */
  start(): Promise<void> {
    return this.objects.start();
  }

  has(namespace: string): boolean {
    return this.objects.has(namespace);
  }

  get size(): number {
    return this.objects.size;
  }

  stop(): Promise<void> {
    return this.objects.stop();
  }
}
