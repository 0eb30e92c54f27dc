import { durationFromMillis, durationToMillis, type Quota } from '@alertgate/proto';

/** How many refused sources one gateway remembers; the oldest is dropped beyond it. */
const CAPACITY = 10_000;

/**
 * Sources the shared request limit refused, each until its retry-after has passed. While a
 * source is remembered, its requests are refused by this gateway alone: a flooding sender costs
 * no service call and no Redis round trip until its limit could admit it again, so this changes
 * nothing in what the shared limit admits (a refused request never takes a unit). The retry-after
 * counts from a time no later than the shared limit's decision (the refused request's arrival),
 * never from when its answer came back: the call's latency would otherwise stretch the refusal
 * past the moment the limit admits again.
 */
export class RefusalMemory {
  private readonly refused = new Map<string, { untilMs: number; sinceMs: number; quota: Quota }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `decidedBy`: a time no later than the limit's decision, such as the refused request's arrival. */
  remember(source: string, quota: Quota, retryAfterMs: number, decidedBy: number = this.now()): void {
    this.refused.delete(source);
    if (this.refused.size >= CAPACITY) {
      const oldest = this.refused.keys().next();
      if (oldest.done !== true) this.refused.delete(oldest.value);
    }
    const since = Math.min(decidedBy, this.now());
    this.refused.set(source, { untilMs: since + retryAfterMs, sinceMs: since, quota });
  }

  /**
   * The remembered refusal and the time left of it, or undefined once it has passed. The quota's
   * reset time counts down with it, so the RateLimit header stays true.
   */
  get(source: string): { quota: Quota; retryAfterMs: number } | undefined {
    const entry = this.refused.get(source);
    if (!entry) return undefined;
    const now = this.now();
    const left = entry.untilMs - now;
    if (left <= 0) {
      this.refused.delete(source);
      return undefined;
    }
    const resetMs = Math.max(0, (durationToMillis(entry.quota.resetAfter) ?? 0) - (now - entry.sinceMs));
    return { quota: { ...entry.quota, resetAfter: durationFromMillis(resetMs) }, retryAfterMs: left };
  }
}
