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

/**
 * What gets resources when not everything does (opt-in): the signals of namespaces that match
 * MANAGED_NAMESPACE_SELECTOR, and the signals about workloads that match
 * MANAGED_WORKLOAD_SELECTOR. Either selector may be absent (then nothing is managed by it).
 */
export interface ManagedScope {
  readonly namespaces?: { readonly selector: string; has(namespace: string): boolean } | undefined;
  /** `kind` as signals name it, lower case (deployment, statefulset, daemonset, cronjob, job). */
  readonly workloads?: { readonly selector: string; has(kind: string, namespace: string, name: string): boolean } | undefined;
}

/** Signals outside the managed namespaces and workloads, as an IgnoreReason. */
export function unmanagedReason(scope: ManagedScope): IgnoreReason {
  const { namespaces, workloads } = scope;
  return (signal) => {
    const target = signal.target && signal.target.name !== '' ? signal.target : undefined;
    if (namespaces?.has(signal.namespace)) return undefined;
    if (workloads && target && workloads.has(target.kind, signal.namespace, target.name)) return undefined;
    if (!workloads) return `namespace ${signal.namespace} is not managed: it does not match ${namespaces?.selector ?? ''}`;
    const why = [
      ...(namespaces ? [`namespace ${signal.namespace} does not match ${namespaces.selector}`] : []),
      target ? `${target.kind} ${target.name} does not match ${workloads.selector}` : `it names no workload matching ${workloads.selector}`,
    ];
    return `not managed: ${why.join('; ')}`;
  };
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
