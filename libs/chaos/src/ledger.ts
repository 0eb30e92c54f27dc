/** What the sender was told about one alert: the deliveries answered 200 and its resolution. */
export interface LedgerEntry {
  readonly alertname: string;
  readonly pod: string;
  /** Firing deliveries answered 200. */
  firingAcks: number;
  /** A delivery of its resolution was answered 200. */
  resolvedAcked: boolean;
  /** When its first and last deliveries were answered 200 (Date.now() ms). */
  firstAckAt: number;
  lastAckAt: number;
}

/**
 * Every alert the sender got a 200 for. Only acknowledged deliveries count: the promise checked
 * at the end is about what alertgate acknowledged, whatever crashed afterwards.
 */
export class Ledger {
  private readonly entries = new Map<string, LedgerEntry>();
  /** Webhooks answered 200, in all and per group, for waiting on progress by count. */
  acknowledgedWebhooks = 0;
  private readonly byGroup = new Map<number, number>();

  /** A webhook of group `g` was answered 200. */
  acknowledged(g: number): void {
    this.acknowledgedWebhooks += 1;
    this.byGroup.set(g, (this.byGroup.get(g) ?? 0) + 1);
  }

  /** Webhooks of each of the `groups` groups answered 200 so far. */
  acknowledgedPerGroup(groups: number): number[] {
    return Array.from({ length: groups }, (_v, g) => this.byGroup.get(g) ?? 0);
  }

  private entry(alertname: string, pod: string): LedgerEntry {
    const key = `${alertname}/${pod}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { alertname, pod, firingAcks: 0, resolvedAcked: false, firstAckAt: Date.now(), lastAckAt: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  firing(alertname: string, pod: string): void {
    const entry = this.entry(alertname, pod);
    entry.firingAcks += 1;
    entry.lastAckAt = Date.now();
  }

  resolved(alertname: string, pod: string): void {
    const entry = this.entry(alertname, pod);
    entry.resolvedAcked = true;
    entry.lastAckAt = Date.now();
  }

  all(): readonly LedgerEntry[] {
    return [...this.entries.values()];
  }
}
