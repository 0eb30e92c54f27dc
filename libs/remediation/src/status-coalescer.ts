import type { RemediationRequestStatus } from './remediation-request.js';

export interface StatusTarget {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Combines the status updates of one resource that arrive within a flush interval into one
 * write (DESIGN.md decision 5: not one API write per duplicate alert). Updates are merged, never
 * dropped: counts and times are absolute values, so the merge keeps the largest.
 */
export class StatusCoalescer {
  private pending = new Map<string, { target: StatusTarget; next: RemediationRequestStatus }>();
  /** What a flush is writing now: not on the API server yet, and no longer pending. */
  private readonly writing = new Map<string, RemediationRequestStatus>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly flushIntervalMs: number,
    private readonly merge: (a: RemediationRequestStatus, b: RemediationRequestStatus) => RemediationRequestStatus,
    private readonly write: (target: StatusTarget, next: RemediationRequestStatus) => Promise<void>,
    private readonly onError: (target: StatusTarget, err: unknown) => void,
  ) {}

  schedule(target: StatusTarget, next: RemediationRequestStatus): void {
    const key = `${target.namespace}/${target.name}`;
    const current = this.pending.get(key);
    this.pending.set(key, { target, next: current ? this.merge(current.next, next) : next });
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
  }

  /**
   * What is waiting to be written for a resource, or being written: counts the API server may
   * not have yet. A decision made while a flush's write is in flight (adopting the resource after
   * Redis lost its state) must count them too, or it counts on from an older number.
   */
  pendingFor(target: StatusTarget): RemediationRequestStatus | undefined {
    const key = `${target.namespace}/${target.name}`;
    const waiting = this.pending.get(key)?.next;
    const inFlight = this.writing.get(key);
    return waiting && inFlight ? this.merge(inFlight, waiting) : (waiting ?? inFlight);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes everything pending now (also on shutdown). A failed write is re-queued. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.pending.values()];
      this.pending = new Map();
      await Promise.all(
        batch.map(async ({ target, next }) => {
          const key = `${target.namespace}/${target.name}`;
          this.writing.set(key, next);
          try {
            await this.write(target, next);
          } catch (err) {
            this.onError(target, err);
            this.schedule(target, next);
          } finally {
            this.writing.delete(key);
          }
        }),
      );
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
