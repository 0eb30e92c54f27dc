import { AlertgateError, Code } from '@alertgate/errors';
import { counter } from '@alertgate/metrics';

import { OwnWrites } from './own-writes.js';
import { applyStatus, type RemediationRequest, type RemediationRequestStatus } from './remediation-request.js';
import type { StatusTarget } from './status-coalescer.js';

const statusWritesTotal = counter({
  name: 'alertgate_kube_status_writes_total',
  help: 'Status subresource writes (coalesced: at most one per resource per flush interval for duplicates).',
});
const statusConflicts = counter({
  name: 'alertgate_kube_status_conflicts_total',
  help: 'Status writes that met a conflict (409) and were read again and merged.',
});

/** Conflicts (409) on a status write are retried with a fresh read this many times. */
const CONFLICT_RETRIES = 5;
/** Own writes remembered until the watch delivers them (bounded for a watch that is down). */
export const MAX_OWN_WRITES = 10_000;

/** The API calls a status write needs, retried and mapped to AlertgateErrors (404 NotFound, 409 Aborted). */
export interface StatusApi {
  get(target: StatusTarget): Promise<RemediationRequest>;
  /** A JSON merge patch of the status subresource, refused (409) unless the resourceVersion is still `resourceVersion`. */
  patchStatus(target: StatusTarget, resourceVersion: string | undefined, patch: Record<string, unknown>): Promise<RemediationRequest>;
}

export interface StatusWriterOptions {
  readonly api: StatusApi;
  /** The watch's copy of a resource, if the watch has one. */
  readonly cached: (target: StatusTarget) => RemediationRequest | undefined;
}

/**
 * Writes statuses through the status subresource without a read first: a write starts from the
 * newest version known without a call (this writer's own last write, or the watch's copy) with
 * its resourceVersion as a precondition, so that a stale base is a conflict (409), never a lost
 * update; a conflict reads the resource and decides again.
 */
export class StatusWriter {
  /** This writer's own last writes, newer than a watch that lags (read-your-writes). */
  readonly own = new OwnWrites(MAX_OWN_WRITES);

  constructor(private readonly options: StatusWriterOptions) {}

  /** Keeps a version this writer got back from the API server (a create's, a write's). */
  remember(target: StatusTarget, object: RemediationRequest): void {
    this.own.remember(object, this.options.cached(target));
  }

  /** The newest version this writer knows without a call: its own last write's or the watch's. */
  known(target: StatusTarget): RemediationRequest | undefined {
    return this.own.newest(`${target.namespace}/${target.name}`, this.options.cached(target));
  }

  /** `next` merged into the resource's status (applyStatus) and written; false when it is gone. */
  write(target: StatusTarget, next: RemediationRequestStatus): Promise<boolean> {
    return this.writeOf(target, (fresh) => applyStatus(fresh.status, next));
  }

  /**
   * The status `decide` makes of the object as it is now, written; false when it made none or
   * the resource is gone (deleted by someone else: nothing left to record). The first attempt
   * decides on the newest version known without a call; a conflict (409: it changed since)
   * reads it from the API server and decides afresh.
   */
  async writeOf(target: StatusTarget, decide: (fresh: RemediationRequest) => RemediationRequestStatus | undefined): Promise<boolean> {
    let known = this.known(target);
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = known ?? (await this.options.api.get(target));
        const status = decide(fresh);
        if (!status) return false;
        const written = await this.options.api.patchStatus(target, fresh.metadata.resourceVersion, mergePatchOf(fresh.status, status));
        this.remember(target, written);
        statusWritesTotal.inc();
        return true;
      } catch (err) {
        known = undefined;
        if (err instanceof AlertgateError && err.code === Code.NotFound) return false;
        if (!(err instanceof AlertgateError) || err.code !== Code.Aborted || attempt >= CONFLICT_RETRIES) throw err;
        statusConflicts.inc();
      }
    }
  }
}

/**
 * The merge patch that makes `current` into `next`: `next`'s fields, and null for a field that
 * `next` no longer has (a reopened resource's resolvedAt), which a merge patch removes.
 */
function mergePatchOf(current: RemediationRequestStatus | undefined, next: RemediationRequestStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  for (const key of Object.keys(current ?? {})) if (!(key in next)) patch[key] = null;
  return patch;
}
