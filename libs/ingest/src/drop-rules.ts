import type { Signal } from '@alertgate/proto';
import { firstMatchingSelector, type MatcherSelector, type RejectedAlert } from '@alertgate/signal';

/** A signal a drop rule matched: answered 200 with this result, and nothing written for it. */
export interface IgnoredResult {
  readonly fingerprint: string;
  readonly outcome: 'ignored';
  readonly reason: string;
}

/** A signal answered without the pipeline, at its place in the request. */
export interface SettledSignal {
  readonly index: number;
  readonly result: IgnoredResult | { readonly outcome: 'rejected'; readonly errors: RejectedAlert['problems'] };
}

/**
 * Takes the signals a drop rule matches out of a webhook's valid signals, before any state is
 * written. `rejected` gives the places of the invalid alerts, so that each dropped signal is
 * answered at its own place.
 */
export function applyDropRules(signals: readonly Signal[], rejected: readonly RejectedAlert[], rules: readonly MatcherSelector[]): { kept: Signal[]; settled: SettledSignal[] } {
  const settled: SettledSignal[] = rejected.map((alert) => ({ index: alert.index, result: { outcome: 'rejected', errors: alert.problems } }));
  if (rules.length === 0) return { kept: [...signals], settled };
  const invalidAt = new Set(rejected.map((alert) => alert.index));
  const kept: Signal[] = [];
  let index = 0;
  for (const signal of signals) {
    while (invalidAt.has(index)) index++;
    const rule = firstMatchingSelector(rules, signal.labels);
    if (rule) settled.push({ index, result: { fingerprint: signal.fingerprint, outcome: 'ignored', reason: `matches the drop rule ${rule.text}` } });
    else kept.push(signal);
    index++;
  }
  settled.sort((a, b) => a.index - b.index);
  return { kept, settled };
}
