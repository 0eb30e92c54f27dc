import { AlertgateError, Code } from '@alertgate/errors';

export interface CreateLimiterOptions {
  /** Creates per second on average: client-go's QPS, for the creates alone. */
  readonly qps: number;
  /** Creates at once above the rate after a quiet spell: client-go's burst. */
  readonly burst: number;
  /** Creates in flight at once. */
  readonly concurrency: number;
}

/**
 * Twice kube-scheduler's client defaults (QPS 50, burst 100), for creates alone: a rate a stock
 * API server takes beside its controllers, with room above a sustained 50 new incidents per
 * second (at exactly the demanded rate, creates queued behind one another: npm run bench, (e)).
 * A flood of new incidents beyond it waits, or is deferred to the sender's retry, instead of
 * starving the status writes and resolutions behind it.
 */
export const CREATE_LIMITER_DEFAULTS: CreateLimiterOptions = { qps: 100, burst: 200, concurrency: 16 };

/** What a create costs before it has been measured, ms (replaced by the measured mean). */
const FIRST_ESTIMATE_MS = 50;
/** Weight of the newest create in the running mean of create durations. */
const MEAN_WEIGHT = 0.2;

/** A create that cannot start in time: answered EFFECT_NOT_STARTED, the sender retries later. */
export function isNotStarted(err: AlertgateError): boolean {
  return err.code === Code.ResourceExhausted && err.details['notStarted'] === 1;
}

/**
 * Bounds the creates the crd-writer sends the API server: a token bucket (qps, burst) and a
 * limit on creates in flight. A create with a deadline is admitted only when it is expected to
 * finish by then: its start is predicted from the tokens it must wait for and the creates queued
 * ahead of it (at the measured mean duration), and one predicted too late is refused at once
 * (isNotStarted), so that its webhook is answered 503 early, never after the deadline.
 */
export class CreateLimiter {
  private tokens: number;
  private refilledAt: number;
  private running = 0;
  /** Admitted creates not running yet (waiting for their token or a place). */
  private queued = 0;
  private readonly places: (() => void)[] = [];
  private meanMs = FIRST_ESTIMATE_MS;

  constructor(
    private readonly options: CreateLimiterOptions = CREATE_LIMITER_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = options.burst;
    this.refilledAt = now();
  }

  /** Creates running and waiting, and the mean duration of a create (for metrics). */
  get state(): { readonly running: number; readonly queued: number; readonly meanMs: number } {
    return { running: this.running, queued: this.queued, meanMs: this.meanMs };
  }

  /**
   * A place for one create that must finish by `deadlineAt` (Date.now() ms; undefined: none).
   * Resolves with the function that gives the place back once the create is done; rejects at
   * once with a not-started error when the create could not finish in time.
   */
  async acquire(deadlineAt: number | undefined): Promise<() => void> {
    const now = this.now();
    this.refill(now);
    const tokenWaitMs = this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.options.qps;
    const ahead = this.running + this.queued - this.options.concurrency + 1;
    const placeWaitMs = ahead <= 0 ? 0 : Math.ceil(ahead / this.options.concurrency) * this.meanMs;
    const waitMs = Math.max(tokenWaitMs, placeWaitMs);
    // With no create in flight, this one is let through whatever the mean says: it measures the
    // API server again. Otherwise a slow spell (an API server hung for 30 s) would leave a mean
    // that refuses every create, and with none run the mean would never come down.
    const probe = this.running + this.queued === 0;
    if (deadlineAt !== undefined && now + waitMs + (probe ? 0 : this.meanMs) > deadlineAt) {
      throw new AlertgateError(
        Code.ResourceExhausted,
        `the Kubernetes create rate (KUBE_CREATE_QPS ${this.options.qps}/s, burst ${this.options.burst}, ${this.options.concurrency} at once) cannot take this create before its deadline`,
        {
          details: { notStarted: 1, retryAfterMs: Math.ceil(waitMs) },
        },
      );
    }
    this.tokens -= 1;
    this.queued += 1;
    try {
      if (tokenWaitMs > 0) await new Promise((resolve) => setTimeout(resolve, tokenWaitMs));
      // A place given back is handed over as it is (running stays), so none is taken twice.
      if (this.running >= this.options.concurrency) await new Promise<void>((resolve) => this.places.push(resolve));
      else this.running += 1;
    } finally {
      this.queued -= 1;
    }
    // The wait was a prediction; creates may have slowed meanwhile. Decided again at the start:
    // one that can no longer finish in time is not started, its place handed on.
    if (!probe && deadlineAt !== undefined && this.now() + this.meanMs > deadlineAt) {
      this.handOn();
      throw new AlertgateError(
        Code.ResourceExhausted,
        'the Kubernetes API server is creating more slowly than predicted: this create cannot finish before its deadline',
        {
          details: { notStarted: 1, retryAfterMs: Math.ceil(this.meanMs * Math.max(1, this.queued / this.options.concurrency)) },
        },
      );
    }
    const started = this.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.meanMs += MEAN_WEIGHT * (this.now() - started - this.meanMs);
      this.handOn();
    };
  }

  /** A place given back: to the next waiter as it is, else free. */
  private handOn(): void {
    const next = this.places.shift();
    if (next) next();
    else this.running -= 1;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.refilledAt) * this.options.qps) / 1000);
    this.refilledAt = now;
  }
}
