import type { Signal } from '@alertgate/proto';
import { firstMatchingSelector, type MatcherSelector, type RejectedAlert } from '@alertgate/signal';

/** A signal answered 200 with this result, and nothing written for it. */
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

/** Why a signal with these labels is not an incident now, or undefined when it is one. */
export type IgnoreReason = (labels: Readonly<Record<string, string>>) => string | undefined;

/** The drop rules (DROP_RULES) as an IgnoreReason. */
export function dropRulesReason(rules: readonly MatcherSelector[]): IgnoreReason {
  return (labels) => {
    const rule = firstMatchingSelector(rules, labels);
    return rule ? `matches the drop rule ${rule.text}` : undefined;
  };
}

/** The first reason of several that applies. */
export function firstReason(reasons: readonly IgnoreReason[]): IgnoreReason {
  return (labels) => {
    for (const reasonOf of reasons) {
      const reason = reasonOf(labels);
      if (reason !== undefined) return reason;
    }
    return undefined;
  };
}

/**
 * Takes the signals to ignore out of a webhook's valid signals, before any state is written.
 * `rejected` gives the places of the invalid alerts, so that each ignored signal is answered at
 * its own place.
 */
export function settleIgnored(signals: readonly Signal[], rejected: readonly RejectedAlert[], reasonOf: IgnoreReason): { kept: Signal[]; settled: SettledSignal[] } {
  const settled: SettledSignal[] = rejected.map((alert) => ({ index: alert.index, result: { outcome: 'rejected', errors: alert.problems } }));
  const invalidAt = new Set(rejected.map((alert) => alert.index));
  const kept: Signal[] = [];
  let index = 0;
  for (const signal of signals) {
    while (invalidAt.has(index)) index++;
    const reason = reasonOf(signal.labels);
    if (reason === undefined) kept.push(signal);
    else settled.push({ index, result: { fingerprint: signal.fingerprint, outcome: 'ignored', reason } });
    index++;
  }
  settled.sort((a, b) => a.index - b.index);
  return { kept, settled };
}
