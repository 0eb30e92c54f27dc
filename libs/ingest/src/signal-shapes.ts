import { Action, Outcome, Source, type Decision, type IncidentUpdate, type Signal, type Verdict } from '@alertgate/proto';
import { AlertgateError, Code } from '@alertgate/errors';

/**
 * What each service is sent of a signal, and the crd-writer's update. These run for every alert,
 * and each shape is a measured choice (BENCHMARKS.md, docs/benchmarks-history.md):
 * - Each service gets only the fields it reads (their protos say which): a webhook's labels and
 *   annotations are encoded once, for the crd-writer, instead of three times.
 * - Storm gets only the labels of its keys once it has said which (forStorm): most alerts' labels
 *   are not part of a key, and encoding them was a large share of the gateway's CPU.
 * - A repeat of an open incident travels to the crd-writer without labels and annotations
 *   (signalTrimmed): it only updates a status, and the crd-writer asks for the signal whole in
 *   the rare case it must create after all.
 * - Every object is written out field by field, never spread from a template: a spread copies
 *   property by property into an object of another shape.
 * - One object literal of one shape per update and per result, with no conditional spreads:
 *   those allocated twice and gave the encoder a shape per combination. Encoders and the JSON
 *   answer skip undefined fields.
 */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

const trimmedSignal = (signal: Signal, labels: Readonly<Record<string, string>>): Signal => ({
  fingerprint: signal.fingerprint,
  alertname: signal.alertname,
  severity: '',
  namespace: signal.namespace,
  target: signal.target,
  cluster: '',
  status: signal.status,
  source: Source.SOURCE_UNSPECIFIED,
  labels,
  annotations: NO_LABELS,
  pod: signal.pod,
});

/** Dedup's view: fingerprint, namespace, status and pod. */
export const forDedup = (signal: Signal): Signal => ({
  fingerprint: signal.fingerprint,
  alertname: '',
  severity: '',
  namespace: signal.namespace,
  target: undefined,
  cluster: '',
  status: signal.status,
  source: Source.SOURCE_UNSPECIFIED,
  labels: NO_LABELS,
  annotations: NO_LABELS,
  pod: signal.pod,
});

/** Storm's view: `keep` names the labels of its keys once storm has said which (all until then). */
export const forStorm = (signal: Signal, keep?: readonly string[]): Signal => trimmedSignal(signal, keep ? pick(signal.labels, keep) : signal.labels);

function pick(labels: Readonly<Record<string, string>>, keep: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of keep) {
    const value = labels[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** The crd-writer's update for a signal, as dedup and storm decided it. */
export function updateOf(signal: Signal, verdict: Verdict | undefined, decision: Decision, sender: string): IncidentUpdate {
  if (decision.outcome === Outcome.OUTCOME_FOLDED) {
    if (!verdict?.storm) throw new AlertgateError(Code.Internal, `dedup folded signal ${signal.fingerprint}, which storm did not put in a storm`);
    return { action: Action.ACTION_FOLD, signal, incidentId: '', occurrences: 0, pods: 0, storm: verdict.storm, signalTrimmed: false, sender };
  }
  const incident = decision.incident;
  const open = decision.outcome === Outcome.OUTCOME_NEW || decision.outcome === Outcome.OUTCOME_DUPLICATE;
  const trimmed = decision.outcome === Outcome.OUTCOME_DUPLICATE;
  return {
    action: open ? Action.ACTION_OPEN : Action.ACTION_RESOLVE,
    signal: trimmed ? trimmedSignal(signal, NO_LABELS) : signal,
    signalTrimmed: trimmed,
    incidentId: incident?.id ?? '',
    firstSeen: incident?.firstSeen,
    lastSeen: incident?.lastSeen,
    occurrences: incident?.occurrences ?? 0,
    pods: incident?.pods ?? 0,
    sender,
  };
}
