import type { RemediationRequest } from './remediation-request.js';
import type { StatusTarget } from './status-coalescer.js';

/**
 * Whether resourceVersion `a` is at least as new as `b`. Kubernetes calls them opaque; on an
 * etcd-backed API server they are etcd revisions, integers that only grow. Anything else counts
 * as newer, so an own write is never preferred over the watch on a guess.
 */
export function notOlder(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return true;
  return BigInt(a) >= BigInt(b);
}

/** A resource's key in the maps of this library: `<namespace>/<name>`. */
export const keyOf = (object: RemediationRequest): string => `${object.metadata.namespace}/${object.metadata.name}`;

/** A resource's reference, as reads and status writes take it. */
export const targetOf = (object: RemediationRequest): StatusTarget => ({ namespace: object.metadata.namespace, name: object.metadata.name });

/**
 * The resources as this writer's own writes returned them, kept until the watch delivers the
 * same version or a later one: newer than a watch that lags (read-your-writes), so that a write
 * needs no read first. Responses are not handled in the order the API server stored them (two
 * writes of a resource in flight, or a response handled after the watch delivered a later
 * version), so an older version never replaces a newer one, the watch's included.
 */
export class OwnWrites {
  private readonly byKey = new Map<string, RemediationRequest>();

  /** `capacity`: own writes kept at most, the oldest dropped first (a watch that is down). */
  constructor(private readonly capacity: number) {}

  /** Keeps `written` unless this writer or the watch (`watched`) knows a later version. */
  remember(written: RemediationRequest, watched: RemediationRequest | undefined): void {
    const key = keyOf(written);
    const own = this.byKey.get(key);
    if (own && !notOlder(written.metadata.resourceVersion, own.metadata.resourceVersion)) return;
    if (watched && !notOlder(written.metadata.resourceVersion, watched.metadata.resourceVersion)) return;
    this.byKey.delete(key);
    if (this.byKey.size >= this.capacity) this.byKey.delete(this.byKey.keys().next().value ?? '');
    this.byKey.set(key, written);
  }

  /** The newer of this writer's own version of `key` and the watch's. */
  newest(key: string, watched: RemediationRequest | undefined): RemediationRequest | undefined {
    const own = this.byKey.get(key);
    if (!own) return watched;
    if (!watched) return own;
    return notOlder(watched.metadata.resourceVersion, own.metadata.resourceVersion) ? watched : own;
  }

  /** The watch delivered this version: an own write of it or before it need not be kept. */
  caughtUp(watched: RemediationRequest): void {
    const key = keyOf(watched);
    const own = this.byKey.get(key);
    if (own && notOlder(watched.metadata.resourceVersion, own.metadata.resourceVersion)) this.byKey.delete(key);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  /** The own versions that `test` accepts. */
  matching(test: (object: RemediationRequest) => boolean): RemediationRequest[] {
    return [...this.byKey.values()].filter(test);
  }

  /**
   * `listed` (the watch's or a list's) as this writer knows it: each replaced by its own newer
   * version, and the own versions `test` accepts that it lacks added.
   */
  overlay(listed: readonly RemediationRequest[], test: (object: RemediationRequest) => boolean): RemediationRequest[] {
    const byKey = new Map(listed.map((item) => [keyOf(item), item]));
    for (const own of this.matching(test)) byKey.set(keyOf(own), this.newest(keyOf(own), byKey.get(keyOf(own))) ?? own);
    return [...byKey.values()];
  }
}
