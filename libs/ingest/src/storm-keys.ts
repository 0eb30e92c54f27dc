import { Status, toMillis, type Signal, type Storm } from '@alertgate/proto';
import { stormKeyOf } from '@alertgate/signal';

/** Keys remembered at most; beyond, the ones whose storm ends first are dropped. */
const MAX_KEYS = 10_000;

/**
 * The storm keys the gateway last heard are in a storm, and until when (Storm.ends_at), learned
 * from storm's own answers. It lets the gateway ask dedup "fold if new" in the same moment as it
 * asks storm (IngestPipeline): a guess that storm's answer then confirms or, when a storm began or
 * ended in between, corrects with one more dedup call. It is never the decision itself.
 */
export class StormKeys {
  private keyLabels: readonly string[] = [];
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The labels storm keys on (STORM_KEY_LABELS), as its last answer said; undefined before. */
  get labels(): readonly string[] | undefined {
    return this.keyLabels.length > 0 ? this.keyLabels : undefined;
  }

  /** Every answer of storm carries its key labels (STORM_KEY_LABELS). */
  learnKeyLabels(labels: readonly string[]): void {
    this.keyLabels = labels;
  }

  /** Remembers the storm of an answer: its key labels (STORM_KEY_LABELS) and its expected end. */
  learn(storm: Storm): void {
    const endsAtMs = toMillis(storm.endsAt) ?? 0;
    this.learnKeyLabels(storm.keyLabels);
    if (endsAtMs <= this.now()) return;
    if (!this.until.has(storm.key) && this.until.size >= MAX_KEYS) this.prune();
    this.until.set(storm.key, Math.max(endsAtMs, this.until.get(storm.key) ?? 0));
  }

  /** Whether the signal's key was in a storm at last word: only firing signals fold. */
  inStorm(signal: Signal): boolean {
    if (signal.status !== Status.STATUS_FIRING || this.keyLabels.length === 0 || this.until.size === 0) return false;
    const key = stormKeyOf(this.keyLabels, signal);
    const endsAtMs = this.until.get(key);
    if (endsAtMs === undefined) return false;
    if (endsAtMs > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  get size(): number {
    return this.until.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, endsAtMs] of this.until) if (endsAtMs <= now) this.until.delete(key);
    if (this.until.size < MAX_KEYS) return;
    // Still full of live storms: drop the half that ends first (a wrong guess costs one call).
    const byEnd = [...this.until].sort((a, b) => a[1] - b[1]);
    for (const [key] of byEnd.slice(0, MAX_KEYS / 2)) this.until.delete(key);
  }
}
