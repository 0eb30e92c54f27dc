export { httpStatusOf, loadKubeClient, mapKubernetesError, statusBodyOf } from './kube-client.js';
export type { KubeClient, KubernetesAccess } from './kube-client.js';
export { OwnerResolver } from './owner-resolver.js';
export type { OwnedObject } from './owner-resolver.js';
export { KUBE_RETRY, withRetry } from './retry.js';
export type { RetryPolicy } from './retry.js';
export { LeaseElector } from './lease-elector.js';
export type { LeaseElectorOptions } from './lease-elector.js';
