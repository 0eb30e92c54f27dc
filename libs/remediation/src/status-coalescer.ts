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

  /** What is waiting to be written for a resource (counts not yet on the API server). */
  pendingFor(target: StatusTarget): RemediationRequestStatus | undefined {
    return this.pending.get(`${target.namespace}/${target.name}`)?.next;
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
          try {
            await this.write(target, next);
          } catch (err) {
            this.onError(target, err);
            this.schedule(target, next);
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
