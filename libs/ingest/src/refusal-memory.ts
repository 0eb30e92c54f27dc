import type { Quota } from '@alertgate/proto';

/** How many refused sources one gateway remembers; the oldest is dropped beyond it. */
const CAPACITY = 10_000;

/**
 * Sources the shared request limit refused, each until its retry-after has passed. While a
 * source is remembered, its requests are refused by this gateway alone: a flooding sender costs
 * no service call and no Redis round trip until its limit could admit it again, so this changes
 * nothing in what the shared limit admits (a refused request never takes a unit).
 */
export class RefusalMemory {
  private readonly refused = new Map<string, { untilMs: number; quota: Quota }>();

  constructor(private readonly now: () => number = Date.now) {}

  remember(source: string, quota: Quota, retryAfterMs: number): void {
    this.refused.delete(source);
    if (this.refused.size >= CAPACITY) {
      const oldest = this.refused.keys().next();
      if (oldest.done !== true) this.refused.delete(oldest.value);
    }
    this.refused.set(source, { untilMs: this.now() + retryAfterMs, quota });
  }

  /** The remembered refusal and the time left of it, or undefined once it has passed. */
  get(source: string): { quota: Quota; retryAfterMs: number } | undefined {
    const entry = this.refused.get(source);
    if (!entry) return undefined;
    const left = entry.untilMs - this.now();
    if (left <= 0) {
      this.refused.delete(source);
      return undefined;
    }
    return { quota: entry.quota, retryAfterMs: left };
  }
}
