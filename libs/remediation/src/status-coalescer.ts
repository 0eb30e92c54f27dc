import { gauge, histogram } from '@alertgate/metrics';

import type { RemediationRequestStatus } from './remediation-request.js';

const flushDuration = histogram({
  name: 'alertgate_kube_status_flush_duration_seconds',
  help: 'Time each flush of coalesced status writes took. The next flush starts one STATUS_FLUSH_INTERVAL after it ends: flushes that take longer than that interval let the statuses fall behind.',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});
const pendingStatuses = gauge({
  name: 'alertgate_kube_status_pending',
  help: 'Resources whose coalesced status waits for a flush (a repeat waits up to STATUS_REPEAT_INTERVAL).',
});

export interface StatusTarget {
  readonly namespace: string;
  readonly name: string;
}

interface UrgentWrite {
  next: RemediationRequestStatus;
  done: Promise<void>;
}

/**
 * What a scheduled status is: a change (a first status, counts jumped by an adoption), written
 * with the next flush; or a repeat of an open incident (later counts and times), which waits
 * until the resource's last write is repeatIntervalMs old.
 */
export type StatusChange = 'change' | 'repeat';

interface PendingStatus {
  readonly target: StatusTarget;
  next: RemediationRequestStatus;
  /** Not written by a flush before this (Date.now() ms). */
  dueAt: number;
}

/**
 * StatusCoalescerOptions.maxWritesInFlight's default. Status writes are background work and a
 * new incident's webhook waits for its create: beside eight status writes in flight, a create
 * took about twice as long, as the crd-writer sees it, as beside two (npm run bench -- --only e,
 * docs/benchmarks-history.md). Two at a time still write 100 statuses a second at 20 ms a write.
 */
export const STATUS_WRITES_IN_FLIGHT_DEFAULT = 2;

export interface StatusCoalescerOptions {
  /** How long statuses of one resource gather before one write. */
  readonly flushIntervalMs: number;
  /**
   * A repeat is written at most once per this interval per resource: the API server's work per
   * open incident stays bounded however often its alert repeats (0: with the next flush).
   */
  readonly repeatIntervalMs: number;
  /**
   * A flush's writes in flight at once. A flush of every resource at once (hundreds of writes)
   * queued the creates of new incidents behind it on the API server: the webhooks waiting for
   * them took seconds at p99 (npm run bench -- --only e). A flush that cannot finish before the
   * next interval delays the next one, whose writes then carry more.
   */
  readonly maxWritesInFlight: number;
  /** Two statuses of one resource as one, the earlier first (mergeStatus). */
  readonly merge: (a: RemediationRequestStatus, b: RemediationRequestStatus) => RemediationRequestStatus;
  readonly write: (target: StatusTarget, next: RemediationRequestStatus) => Promise<void>;
  /** A write failed; the status stays pending for the next flush. */
  readonly onError: (target: StatusTarget, err: unknown) => void;
}

/**
 * Combines the status updates of one resource that arrive within a flush interval into one
 * write (docs/design.md §5: not one API write per duplicate alert). Updates are merged, never
 * dropped: counts and times are absolute values, so the merge keeps the largest.
 */
export class StatusCoalescer {
  private pending = new Map<string, PendingStatus>();
  /** When each resource's last write started (Date.now() ms), kept for repeatIntervalMs. */
  private readonly writtenAt = new Map<string, number>();
  /** What a flush is writing now or is about to: not on the API server yet, and no longer pending. */
  private readonly writing = new Map<string, RemediationRequestStatus>();
  /** Per resource, the write-through queued behind the one in flight (see writeNow). */
  private readonly urgent = new Map<string, UrgentWrite>();
  /** Per resource, the write-through in flight: what it writes, and when it is done. */
  private readonly urgentWriting = new Map<string, RemediationRequestStatus>();
  private readonly urgentTail = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  private readonly flushIntervalMs: number;
  private readonly repeatIntervalMs: number;
  private readonly maxWritesInFlight: number;
  private readonly merge: StatusCoalescerOptions['merge'];
  private readonly write: StatusCoalescerOptions['write'];
  private readonly onError: StatusCoalescerOptions['onError'];

  constructor(options: StatusCoalescerOptions) {
    ({
      flushIntervalMs: this.flushIntervalMs,
      repeatIntervalMs: this.repeatIntervalMs,
      maxWritesInFlight: this.maxWritesInFlight,
      merge: this.merge,
      write: this.write,
      onError: this.onError,
    } = options);
  }

  schedule(target: StatusTarget, next: RemediationRequestStatus, change: StatusChange = 'change'): void {
    const key = `${target.namespace}/${target.name}`;
    const now = Date.now();
    const dueAt = change === 'repeat' ? (this.writtenAt.get(key) ?? -Infinity) + this.repeatIntervalMs : now;
    const current = this.pending.get(key);
    if (current) {
      current.next = this.merge(current.next, next);
      current.dueAt = Math.min(current.dueAt, dueAt);
    } else this.pending.set(key, { target, next, dueAt });
    pendingStatuses.set(this.pending.size);
    this.arm();
  }

  /**
   * A flush one interval from now, while anything is pending. The timer does not hold the process
   * up: what is pending at a stop is written by close().
   */
  private arm(): void {
    if (this.closed || this.pending.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushDue().then(() => this.arm());
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * Writes an update at once, for what must not wait in memory for a flush (a crash would lose
   * it). Yet not one write per caller: updates that arrive while the resource's write-through is
   * in flight are merged and go together in the next one. Resolves once a write that holds
   * `next` succeeded; rejects when it failed (nothing is queued again: the caller answers with a
   * retryable error).
   */
  writeNow(target: StatusTarget, next: RemediationRequestStatus): Promise<void> {
    const key = `${target.namespace}/${target.name}`;
    const queued = this.urgent.get(key);
    if (queued) {
      queued.next = this.merge(queued.next, next);
      return queued.done;
    }
    const entry: UrgentWrite = { next, done: Promise.resolve() };
    const previous = this.urgentTail.get(key) ?? Promise.resolve();
    entry.done = previous.then(async () => {
      // From here on, later updates queue for the next write.
      this.urgent.delete(key);
      this.urgentWriting.set(key, entry.next);
      this.writtenAt.set(key, Date.now());
      try {
        await this.write(target, entry.next);
      } finally {
        this.urgentWriting.delete(key);
      }
    });
    this.urgent.set(key, entry);
    const tail = entry.done.catch(() => undefined);
    this.urgentTail.set(key, tail);
    void tail.then(() => {
      if (this.urgentTail.get(key) === tail) this.urgentTail.delete(key);
    });
    return entry.done;
  }

  /**
   * What is waiting to be written for a resource, or being written: counts the API server may
   * not have yet. A decision made while a flush's write is in flight (adopting the resource after
   * Redis lost its state) must count them too, or it counts on from an older number.
   */
  pendingFor(target: StatusTarget): RemediationRequestStatus | undefined {
    const key = `${target.namespace}/${target.name}`;
    const parts = [this.writing.get(key), this.urgentWriting.get(key), this.urgent.get(key)?.next, this.pending.get(key)?.next].filter(
      (part) => part !== undefined,
    );
    return parts.length === 0 ? undefined : parts.reduce((a, b) => this.merge(a, b));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes everything pending now, due or not (also on shutdown). A failed write is re-queued. */
  flush(): Promise<void> {
    return this.writePending(() => true);
  }

  /** Writes what is due: the changes, and the repeats whose resource was last written long enough ago. */
  private flushDue(): Promise<void> {
    const now = Date.now();
    for (const [key, at] of this.writtenAt) if (now - at >= this.repeatIntervalMs) this.writtenAt.delete(key);
    return this.writePending((entry) => entry.dueAt <= now);
  }

  private writePending(due: (entry: PendingStatus) => boolean): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const now = Date.now();
      const batch = [...this.pending.values()].filter(due);
      for (const { target, next } of batch) {
        const key = `${target.namespace}/${target.name}`;
        this.pending.delete(key);
        this.writing.set(key, next);
        // A repeat arriving while this write waits or is in flight goes a repeat interval later.
        this.writtenAt.set(key, now);
      }
      if (batch.length === 0) return;
      pendingStatuses.set(this.pending.size);
      const stopTimer = flushDuration.startTimer();
      const writeOne = async ({ target, next }: PendingStatus): Promise<void> => {
        const key = `${target.namespace}/${target.name}`;
        try {
          await this.write(target, next);
        } catch (err) {
          this.onError(target, err);
          this.schedule(target, next);
        } finally {
          this.writing.delete(key);
        }
      };
      const worker = async (): Promise<void> => {
        for (let entry = batch.shift(); entry; entry = batch.shift()) await writeOne(entry);
      };
      await Promise.all(Array.from({ length: Math.min(this.maxWritesInFlight, batch.length) }, worker));
      stopTimer();
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
