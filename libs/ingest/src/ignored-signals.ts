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

/** Why a signal is not an incident now, or undefined when it is one. */
export type IgnoreReason = (signal: Signal) => string | undefined;

/** The drop rules (DROP_RULES) as an IgnoreReason. */
export function dropRulesReason(rules: readonly MatcherSelector[]): IgnoreReason {
  return (signal) => {
    const rule = firstMatchingSelector(rules, signal.labels);
    return rule ? `matches the drop rule ${rule.text}` : undefined;
  };
}

/** The namespaces that get resources when not all do (opt-in: MANAGED_NAMESPACE_SELECTOR). */
export interface ManagedScope {
  /** The label selector the namespaces match, for the answer's reason. */
  readonly selector: string;
  has(namespace: string): boolean;
}

/** Signals outside the managed namespaces, as an IgnoreReason. */
export function unmanagedReason(scope: ManagedScope): IgnoreReason {
  return (signal) => (scope.has(signal.namespace) ? undefined : `namespace ${signal.namespace} is not managed: it does not match ${scope.selector}`);
}

/** The first reason of several that applies. */
export function firstReason(reasons: readonly IgnoreReason[]): IgnoreReason {
  return (signal) => {
    for (const reasonOf of reasons) {
      const reason = reasonOf(signal);
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
export function settleIgnored(
  signals: readonly Signal[],
  rejected: readonly RejectedAlert[],
  reasonOf: IgnoreReason,
): { kept: Signal[]; settled: SettledSignal[] } {
  const settled: SettledSignal[] = rejected.map((alert) => ({ index: alert.index, result: { outcome: 'rejected', errors: alert.problems } }));
  const invalidAt = new Set(rejected.map((alert) => alert.index));
  const kept: Signal[] = [];
  let index = 0;
  for (const signal of signals) {
    while (invalidAt.has(index)) index++;
    const reason = reasonOf(signal);
    if (reason === undefined) kept.push(signal);
    else settled.push({ index, result: { fingerprint: signal.fingerprint, outcome: 'ignored', reason } });
    index++;
  }
  settled.sort((a, b) => a.index - b.index);
  return { kept, settled };
}
