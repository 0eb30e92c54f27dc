import { fromMillis, Source, Status, type Signal } from '@alertgate/proto';

import { fingerprintOf } from './fingerprint.js';
import { wholeSeconds } from './freshness.js';
import { InvalidInputError } from './input-problem.js';
import { isObject, optionalString, ProblemList, readTime, type JsonObject } from './parse-helpers.js';
import { PARSE_DEFAULTS, type ParseOptions } from './parse-alertmanager-webhook.js';
import { namespaceNameProblem } from './resource-constraints.js';

/** The object an event is about, as the API names it (for owner resolution). */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export type KubernetesEventResult =
  { readonly kind: 'signal'; readonly signal: Signal; readonly involved: InvolvedObject } | { readonly kind: 'ignored'; readonly reason: string };

/**
 * A core/v1 Event (also the events.k8s.io/v1 field names `regarding`, `note`, `deprecated*`).
 * Warning events become firing signals named after the event's reason; Normal events are
 * acknowledged and ignored (not an error). Events never resolve: their incident closes when the
 * dedup window lapses.
 */
export function parseKubernetesEvent(body: unknown, options: ParseOptions = PARSE_DEFAULTS, nowMs = Date.now()): KubernetesEventResult {
  if (!isObject(body)) throw new InvalidInputError('The body must be a Kubernetes Event JSON object.', [{ pointer: '', detail: 'must be an object' }]);
  const problems = new ProblemList();
  const type = body['type'];
  if (type === 'Normal') return { kind: 'ignored', reason: 'Normal events are not incidents' };
  if (type !== 'Warning') {
    throw new InvalidInputError('The event type must be Warning or Normal.', [{ pointer: '/type', detail: 'must be "Warning" or "Normal"' }]);
  }
  const objectField = isObject(body['involvedObject']) ? 'involvedObject' : 'regarding';
  const involved = body[objectField];
  const metadata: JsonObject = isObject(body['metadata']) ? body['metadata'] : {};
  let kind = '';
  let name = '';
  let objectNamespace = '';
  let apiVersion = '';
  if (!isObject(involved)) {
    problems.add('/involvedObject', 'is required (the object the event is about)');
  } else {
    kind = optionalString(involved['kind'], `/${objectField}/kind`, problems, 256);
    name = optionalString(involved['name'], `/${objectField}/name`, problems, 253);
    objectNamespace = optionalString(involved['namespace'], `/${objectField}/namespace`, problems, 63);
    apiVersion = optionalString(involved['apiVersion'], `/${objectField}/apiVersion`, problems, 256);
    if (kind === '') problems.add(`/${objectField}/kind`, 'is required');
    if (name === '') problems.add(`/${objectField}/name`, 'is required');
  }
  const reason = optionalString(body['reason'], '/reason', problems, 256);
  if (reason === '') problems.add('/reason', 'is required (it names the incident)');
  const message = optionalString(body['message'] ?? body['note'], '/message', problems, options.limits.maxAnnotationValueBytes);
  const times = readEventTimes(body, problems);
  const startsAt = times.first ?? times.event ?? times.last ?? nowMs;
  const seen = [times.first, times.event, times.last, times.seriesLast].filter((ms): ms is number => ms !== undefined);
  const eventNamespace = objectNamespace || optionalString(metadata['namespace'], '/metadata/namespace', problems, 63);
  const namespaceProblem = eventNamespace === '' ? undefined : namespaceNameProblem(eventNamespace);
  if (namespaceProblem) problems.add(objectNamespace ? `/${objectField}/namespace` : '/metadata/namespace', namespaceProblem);
  if (!problems.empty) throw new InvalidInputError('The event is invalid; nothing was processed.', problems.items);
  const age = seen.length === 0 ? 0 : nowMs - Math.max(...seen);
  if (age > options.freshness.maxEventAgeMs) {
    return { kind: 'ignored', reason: `the event was last seen ${wholeSeconds(age)} ago, longer ago than ${wholeSeconds(options.freshness.maxEventAgeMs)}` };
  }

  const target = { kind: kind.toLowerCase(), name };
  const cluster = '';
  const source = isObject(body['source']) ? optionalString(body['source']['component'], '/source/component', problems) : '';
  return {
    kind: 'signal',
    involved: { apiVersion: apiVersion || 'v1', kind, namespace: eventNamespace, name },
    signal: {
      fingerprint: fingerprintOf(reason, eventNamespace, target, cluster),
      alertname: reason,
      severity: 'warning',
      namespace: eventNamespace || options.fallbackNamespace,
      target,
      cluster,
      status: Status.STATUS_FIRING,
      source: Source.SOURCE_KUBERNETES_EVENT,
      labels: { alertname: reason, [target.kind]: name, ...(eventNamespace ? { namespace: eventNamespace } : {}), ...(source ? { source } : {}) },
      annotations: message ? { message } : {},
      pod: '',
      startsAt: fromMillis(Number.isNaN(startsAt) ? nowMs : startsAt),
    },
  };
}

/**
 * An event's times, each read once (core/v1 names, or the events.k8s.io/v1 `deprecated*` ones).
 * A repeated event's lastTimestamp or series.lastObservedTime moves on; its firstTimestamp does not.
 */
function readEventTimes(body: JsonObject, problems: ProblemList): Record<'first' | 'event' | 'last' | 'seriesLast', number | undefined> {
  const series = isObject(body['series']) ? body['series'] : {};
  return {
    first: readTime(body['firstTimestamp'] ?? body['deprecatedFirstTimestamp'], '/firstTimestamp', problems),
    event: readTime(body['eventTime'], '/eventTime', problems),
    last: readTime(body['lastTimestamp'] ?? body['deprecatedLastTimestamp'], '/lastTimestamp', problems),
    seriesLast: readTime(series['lastObservedTime'], '/series/lastObservedTime', problems),
  };
}

/**
 * The same signal about another target (a pod replaced by its top-level controller): the
 * fingerprint follows, so all pods of a workload are one incident. `namespace` is the one the
 * fingerprint was made with (the signal's own, not a fallback); `pod` is the object replaced when
 * it is a pod ('' otherwise), which dedup tracks per incident. The original object stays in the
 * labels.
 */
export function retarget(signal: Signal, target: { kind: string; name: string }, identity: { namespace: string; pod: string }): Signal {
  const next = { kind: target.kind.toLowerCase(), name: target.name };
  if (next.kind === signal.target?.kind && next.name === signal.target.name) return signal;
  return {
    ...signal,
    target: next,
    fingerprint: fingerprintOf(signal.alertname, identity.namespace, next, signal.cluster),
    labels: { ...signal.labels, [next.kind]: next.name },
    pod: identity.pod,
  };
}
