import type { Signal } from '@alertgate/proto';

import type { FoldedSignal, OpenIncident, ResourceKey } from './remediation-request.js';

export interface OpenResult {
  readonly created: boolean;
  readonly ref: ResourceKey;
  /**
   * Set when Kubernetes knew better than the dedup window: the incident is an existing open
   * resource (Redis lost it), or a new one because the old resource ended. The dedup window
   * must adopt this id so that later duplicates land on the same resource.
   */
  readonly adopted?: { readonly incidentId: string; readonly occurrences: number };
  /** open() with mayCreate false would have had to create the resource: nothing was changed. */
  readonly signalRequired?: boolean;
  /** A resolved resource of the incident was opened again (flap damping: FLAP_HOLD_TIME). */
  readonly reopened?: boolean;
}

export interface OpenOptions {
  /**
   * False when the incident's signal is trimmed (a repeat: only identity fields), so that a
   * resource cannot be created from it; default true.
   */
  readonly mayCreate?: boolean;
  /**
   * When the caller stops waiting (Date.now() ms): a create that cannot finish by then is not
   * started (an AlertgateError that isNotStarted). Undefined: no deadline.
   */
  readonly deadlineAt?: number | undefined;
}

export interface ResolveRequest {
  readonly signal: Signal;
  /** Empty when the dedup window no longer knew the incident: the sink looks it up by fingerprint. */
  readonly incidentId: string;
  readonly resolvedAtMs: number;
  /**
   * The incident's deliveries and last one as dedup counted them (0 / undefined: not known). A
   * resolution writes them too: the counts the crd-writer had only coalesced in memory are not
   * lost to a crash when the next message of the incident is its resolution.
   */
  readonly occurrences: number;
  readonly lastSeenMs: number | undefined;
}

export interface ResolveResult {
  readonly ref?: ResourceKey;
}

/**
 * Where RemediationRequests go. `kubernetes` writes to the API server; `file` writes the same
 * objects as YAML files for local use. Both are idempotent: open() on an existing incident only
 * merges status, resolve() on a resolved one changes nothing.
 */
export interface RemediationSink {
  readonly kind: 'file' | 'kubernetes' | 'null';
  /** In the signal's namespace (the kubernetes sink: the fallback namespace when it does not exist). */
  open(incident: OpenIncident, options?: OpenOptions): Promise<OpenResult>;
  resolve(request: ResolveRequest): Promise<ResolveResult>;
  /**
   * Records a folded signal on its storm's aggregate: creates the aggregate once (deterministic
   * name; AlreadyExists is success), grows its status, links the named individual incidents.
   */
  fold(folded: FoldedSignal, options?: OpenOptions): Promise<OpenResult>;
  /**
   * Resolves the aggregates whose storm is over (status.storm.endsAt passed; see
   * endedStormStatus) and returns how many. The crd-writer calls it periodically.
   */
  endStorms(nowMs: number): Promise<number>;
  /**
   * Resolves the Warning events' incidents quiet for longer than the sink's quiet time
   * (quietEventStatus) and returns how many. The crd-writer calls it with endStorms.
   */
  closeQuietEvents(nowMs: number): Promise<number>;
  /** Throws a retryable AlertgateError when the sink cannot be written right now. */
  check(): Promise<void>;
  /** Writes anything pending (coalesced status) and stops background work. */
  close(): Promise<void>;
}
