import { Source, toMillis, type Signal } from '@alertgate/proto';
import { keyLabelValue, slug, SPEC_MAX_LENGTH, truncateCharacters } from '@alertgate/signal';

/**
 * The RemediationRequest resource (k8s/crds/remediationrequests.yaml is its schema). Spec is what
 * the signal said and never changes after create; status is what changes (docs/design.md §5).
 */
export const RR_GROUP = 'remediation.alertgate.io';
export const RR_VERSION = 'v1alpha1';
export const RR_PLURAL = 'remediationrequests';
export const RR_KIND = 'RemediationRequest';
export const RR_API_VERSION = `${RR_GROUP}/${RR_VERSION}`;

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Which installation wrote a resource, when several share a cluster (INSTANCE). */
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_FINGERPRINT = `${RR_GROUP}/fingerprint`;
export const LABEL_ALERTNAME = `${RR_GROUP}/alertname`;
const LABEL_SEVERITY = `${RR_GROUP}/severity`;
export const ANNOTATION_TRACE_ID = `${RR_GROUP}/trace-id`;
/** The authenticated sender (the gateway's token name) whose webhook opened the incident. */
export const ANNOTATION_SENDER = `${RR_GROUP}/sender`;
export const LABEL_STORM = `${RR_GROUP}/storm`;
/** Set when the alert's namespace does not exist and the resource went to the fallback namespace. */
export const LABEL_ORIGIN_NAMESPACE = `${RR_GROUP}/origin-namespace`;
/** Phases the remediation controller sets when it is done: they end the incident. */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Cancelled']);
/** Label values are limited to 63 characters; 32 hex digits (128 bits) select one incident family. */
export const FINGERPRINT_LABEL_DIGITS = 32;

/** What an aggregate's status says about its storm (field names in k8s/crds). */
interface StormStatus {
  memberCount: number;
  resolved: number;
  overflow: number;
  /** Affected resources ("kind/name"), at most MEMBER_LIST_CAP. */
  members: string[];
  /** Individual RemediationRequests of the storm's members, opened before it was detected. */
  linked: string[];
  /** When the storm ends unless more alerts of its key arrive (moves on with every alert). */
  endsAt?: string;
  /** Set once the storm ended (= endsAt): the aggregate is resolved; a later alert opens a new storm. */
  endedAt?: string;
}

/** Bounded like the storm's member cap: the list never grows without limit. */
export const MEMBER_LIST_CAP = 64;

/**
 * A workload incident's pods (its alerts named them; the target is their workload): how many
 * fired in it, the first MEMBER_LIST_CAP by name, and how many more there were.
 */
interface AffectedPods {
  count: number;
  names: string[];
  overflow: number;
}

export interface RemediationRequestStatus {
  storm?: StormStatus;
  affectedPods?: AffectedPods;
  /** On an individual resource: the storm aggregate it belongs to. */
  stormRef?: string;
  phase?: string;
  occurrences?: number;
  firstSeen?: string;
  lastSeen?: string;
  resolvedAt?: string;
  alertState?: 'Firing' | 'Resolved';
  /**
   * Why alertgate closed the incident without a resolution from the alert: not seen for the
   * dedup window, or (a Warning event's incident, which never resolves) for EVENT_QUIET_TIME.
   */
  closedReason?: 'DedupWindowExpired' | 'EventsQuiet';
  /** Times the incident fired again within the flap hold time after it resolved (FLAP_HOLD_TIME). */
  reopenCount?: number;
  /** When alertgate saw the phase turn Completed: the start of the cooldown (COMPLETED_COOLDOWN). */
  completedAt?: string;
  /** Deliveries of the alert within the cooldown after Completed, counted here instead of opening a new incident. */
  firingsAfterCompletion?: number;
}

export interface RemediationRequest {
  apiVersion: typeof RR_API_VERSION;
  kind: typeof RR_KIND;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  spec: {
    fingerprint: string;
    incidentId: string;
    alertname: string;
    severity: string;
    namespace: string;
    /** The namespace the alert named, when it did not exist and the fallback was used. */
    originNamespace?: string;
    cluster?: string;
    source: 'alertmanager' | 'kubernetes-event';
    targetResource: { kind: string; name: string };
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt?: string;
    storm?: { key: string; type: 'rate' | 'pattern'; windowStart: string };
    /**
     * Set when an earlier incident of the fingerprint ended in a terminal phase (a fix that did
     * not hold, or a new problem): that resource, and how many incidents came before this one.
     */
    previousRemediationRequestRef?: { name: string };
    recurrenceCount?: number;
    alertmanager?: { fingerprint?: string; groupKey?: string; receiver?: string; generatorURL?: string; externalURL?: string };
  };
  status?: RemediationRequestStatus;
}

export interface ResourceKey {
  readonly namespace: string;
  readonly name: string;
}

/** Deterministic per incident, so a repeated create is idempotent (docs/design.md §4). */
export function resourceName(alertname: string, incidentId: string): string {
  return `${slug(alertname, 40) || 'incident'}-${incidentId}`;
}

/** A label value (≤ 63 chars of [A-Za-z0-9._-], alphanumeric at both ends), or '' when none fits. */
export function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

const iso = (ms: number): string => new Date(ms).toISOString();

export interface OpenIncident {
  readonly signal: Signal;
  readonly incidentId: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly occurrences: number;
  readonly traceId?: string | undefined;
  /** The gateway's name for who sent the webhook that opened it ('' or absent: none). */
  readonly sender?: string | undefined;
  /** A workload incident: the distinct pods that fired in it so far, as dedup counted them. */
  readonly pods?: number | undefined;
}

export function isTerminal(object: Pick<RemediationRequest, 'status'> | undefined): boolean {
  return TERMINAL_PHASES.has(object?.status?.phase ?? '');
}

/**
 * Whether a resolved resource opens again for a firing of its incident (flap damping): it
 * resolved from its alert (not closed by the dedup window: that incident was over), no controller
 * finished it, and the firing started at most `holdMs` after the resolution. The gap is read from
 * the alert's own times (firedAt): Alertmanager delivers a resolution and the next firing up to a
 * group interval late, so the time of arrival would count its delays as quiet time.
 */
export function isReopenable(object: Pick<RemediationRequest, 'status'>, firedAtMs: number, holdMs: number): boolean {
  const resolvedAt = Date.parse(object.status?.resolvedAt ?? '');
  if (Number.isNaN(resolvedAt) || holdMs <= 0 || isTerminal(object) || object.status?.closedReason !== undefined) return false;
  return firedAtMs - resolvedAt <= holdMs;
}

/** When an incident's firing started: its alert's startsAt, else (a trimmed repeat) now. */
export function firedAt(incident: OpenIncident): number {
  return toMillis(incident.signal.startsAt) ?? Date.now();
}

/**
 * The status of a resolved resource opened again by a firing of its incident: firing, not
 * resolved, its reopenCount one more. A new incident's deliveries (dedup opened it anew) add to
 * what the resource recorded; the same incident's (dedup still had it) are its whole count.
 */
export function reopenedStatus(current: RemediationRequestStatus | undefined, incident: OpenIncident, sameIncident: boolean): RemediationRequestStatus {
  const { resolvedAt: _resolvedAt, ...rest } = current ?? {};
  const lastSeen = latest(current?.lastSeen, iso(incident.lastSeenMs));
  return {
    ...rest,
    alertState: 'Firing',
    reopenCount: (current?.reopenCount ?? 0) + 1,
    occurrences: sameIncident ? Math.max(current?.occurrences ?? 0, incident.occurrences) : (current?.occurrences ?? 0) + incident.occurrences,
    ...(lastSeen ? { lastSeen } : {}),
  };
}

/**
 * Whether a firing received at `receivedAtMs` falls in the cooldown after a remediation
 * completed: counted on the completed resource (cooldownFiringStatus) instead of opening a new
 * incident, so that a controller does not act again on an alert that has not caught up with its
 * fix yet.
 */
export function inCompletedCooldown(object: Pick<RemediationRequest, 'status'>, receivedAtMs: number, cooldownMs: number): boolean {
  const completedAt = Date.parse(object.status?.completedAt ?? '');
  if (cooldownMs <= 0 || object.status?.phase !== 'Completed' || Number.isNaN(completedAt)) return false;
  return receivedAtMs - completedAt < cooldownMs;
}

/** A completed resource's status with a firing in its cooldown counted. */
export function cooldownFiringStatus(current: RemediationRequestStatus | undefined, deliveries: number): RemediationRequestStatus {
  return { ...current, firingsAfterCompletion: (current?.firingsAfterCompletion ?? 0) + deliveries };
}

/** The resource an incident recurs after: the last of its fingerprint that a controller finished. */
export interface Recurrence {
  readonly previous: string;
  /** Incidents of the fingerprint before this one that ended in a terminal phase, this one's predecessor included. */
  readonly count: number;
}

/**
 * What a new incident recurs after, from the resources of its fingerprint: the last one in a
 * terminal phase, counting on from its own recurrenceCount. Undefined when none ended so.
 */
export function recurrenceOf(resources: readonly RemediationRequest[]): Recurrence | undefined {
  // The chain's newest has the highest count (creation times have whole seconds only: two
  // incidents of one second would tie).
  const ended = resources
    .filter((item) => isTerminal(item))
    .sort(
      (a, b) =>
        (b.spec.recurrenceCount ?? 0) - (a.spec.recurrenceCount ?? 0) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    )[0];
  return ended ? { previous: ended.metadata.name, count: (ended.spec.recurrenceCount ?? 0) + 1 } : undefined;
}

/**
 * The resource for an incident, in `namespace`: the alert's own, or the fallback namespace when
 * the alert's does not exist (then the origin is kept in a label and spec.originNamespace).
 */
export function buildRemediationRequest(incident: OpenIncident, namespace: string, recurrence?: Recurrence): RemediationRequest {
  const { signal } = incident;
  const am = signal.alertmanager;
  const fallback = namespace !== signal.namespace;
  const object: RemediationRequest = {
    apiVersion: RR_API_VERSION,
    kind: RR_KIND,
    metadata: {
      name: resourceName(signal.alertname, incident.incidentId),
      namespace,
      labels: {
        [LABEL_MANAGED_BY]: 'alertgate',
        [LABEL_FINGERPRINT]: signal.fingerprint.slice(0, FINGERPRINT_LABEL_DIGITS),
        [LABEL_ALERTNAME]: labelValue(signal.alertname),
        ...(labelValue(signal.severity) ? { [LABEL_SEVERITY]: labelValue(signal.severity) } : {}),
        ...(fallback ? { [LABEL_ORIGIN_NAMESPACE]: labelValue(signal.namespace) } : {}),
      },
      annotations: {
        ...(incident.traceId ? { [ANNOTATION_TRACE_ID]: incident.traceId } : {}),
        ...(incident.sender ? { [ANNOTATION_SENDER]: incident.sender } : {}),
      },
    },
    spec: {
      fingerprint: signal.fingerprint,
      incidentId: incident.incidentId,
      alertname: signal.alertname,
      severity: signal.severity,
      namespace: signal.namespace,
      ...(fallback ? { originNamespace: signal.namespace } : {}),
      ...(signal.cluster ? { cluster: signal.cluster } : {}),
      source: signal.source === Source.SOURCE_KUBERNETES_EVENT ? 'kubernetes-event' : 'alertmanager',
      targetResource: { kind: signal.target?.kind ?? '', name: signal.target?.name ?? '' },
      labels: signal.labels,
      annotations: signal.annotations,
      ...(signal.startsAt ? { startsAt: iso(toMillis(signal.startsAt) ?? 0) } : {}),
      ...(recurrence ? { previousRemediationRequestRef: { name: recurrence.previous }, recurrenceCount: recurrence.count } : {}),
      ...(am && (am.fingerprint || am.groupKey)
        ? {
            alertmanager: {
              ...(am.fingerprint ? { fingerprint: am.fingerprint } : {}),
              ...(am.groupKey ? { groupKey: am.groupKey } : {}),
              ...(am.receiver ? { receiver: am.receiver } : {}),
              ...(am.generatorUrl ? { generatorURL: am.generatorUrl } : {}),
              ...(am.externalUrl ? { externalURL: am.externalUrl } : {}),
            },
          }
        : {}),
    },
    status: openStatus(incident),
  };
  return object;
}

export function openStatus(incident: OpenIncident): RemediationRequestStatus {
  const { pod } = incident.signal;
  return {
    occurrences: incident.occurrences,
    firstSeen: iso(incident.firstSeenMs),
    lastSeen: iso(incident.lastSeenMs),
    alertState: 'Firing',
    ...(pod ? { affectedPods: combinePods(undefined, { count: incident.pods ?? 1, names: [pod], overflow: 0 }) } : {}),
  };
}

/** Both pod lists as one: the larger count, the names of both (bounded), the rest counted. */
function combinePods(a: AffectedPods | undefined, b: AffectedPods | undefined): AffectedPods {
  const names = union(a?.names, b?.names);
  const count = Math.max(a?.count ?? 0, b?.count ?? 0, names.length);
  return { count, names, overflow: count - names.length };
}

/**
 * The one merge of status facts: `next` into `base` (a stored status and an update, or two
 * pending updates in the order they came), never going backwards (docs/design.md §5). Occurrence
 * counts are absolute values from the dedup window, so a retried or reordered update is harmless.
 * - Counts only grow: occurrences, reopenCount, firingsAfterCompletion, a storm's counts, the
 *   affected pods' count.
 * - firstSeen only moves earlier; lastSeen and a storm's endsAt only later.
 * - What happens once stays: the first resolvedAt (alertState follows it), stormRef,
 *   closedReason, completedAt, a storm's endedAt. Opening a resolved resource again is a new
 *   status (reopenedStatus), not a merge.
 * - Member lists (a storm's members and links, the affected pods) are the union of both, bounded
 *   by MEMBER_LIST_CAP.
 * - The phase is the controller's: base's, else next's.
 */
export function mergeStatus(base: RemediationRequestStatus | undefined, next: RemediationRequestStatus): RemediationRequestStatus {
  const merged: RemediationRequestStatus = { ...next, ...base };
  for (const count of ['occurrences', 'reopenCount', 'firingsAfterCompletion'] as const) {
    const larger = Math.max(base?.[count] ?? 0, next[count] ?? 0);
    if (larger > 0) merged[count] = larger;
  }
  const firstSeen = earliest(base?.firstSeen, next.firstSeen);
  const lastSeen = latest(base?.lastSeen, next.lastSeen);
  if (firstSeen) merged.firstSeen = firstSeen;
  if (lastSeen) merged.lastSeen = lastSeen;
  if (merged.resolvedAt) merged.alertState = 'Resolved';
  if (base?.storm || next.storm) merged.storm = combineStorm(base?.storm, next.storm);
  if (base?.affectedPods || next.affectedPods) merged.affectedPods = combinePods(base?.affectedPods, next.affectedPods);
  return merged;
}

/**
 * An update merged into a stored status (mergeStatus), which always has a phase (Pending until a
 * controller sets one) and an alert state; undefined when it changes nothing (no write needed).
 */
export function applyStatus(current: RemediationRequestStatus | undefined, next: RemediationRequestStatus): RemediationRequestStatus | undefined {
  const merged = mergeStatus(current, next);
  merged.phase ??= 'Pending';
  merged.alertState = merged.resolvedAt ? 'Resolved' : 'Firing';
  return sameFacts(merged, current ?? {}) ? undefined : merged;
}

/** Whether two statuses say the same, whatever the order of their fields. */
function sameFacts(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return keysA.length === keysB.length && keysA.every((key) => sameFacts((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function union(a: readonly string[] = [], b: readonly string[] = []): string[] {
  return [...new Set([...a, ...b])].slice(0, MEMBER_LIST_CAP);
}

function combineStorm(a: StormStatus | undefined, b: StormStatus | undefined): StormStatus {
  return {
    memberCount: Math.max(a?.memberCount ?? 0, b?.memberCount ?? 0),
    resolved: Math.max(a?.resolved ?? 0, b?.resolved ?? 0),
    overflow: Math.max(a?.overflow ?? 0, b?.overflow ?? 0),
    members: union(a?.members, b?.members),
    linked: union(a?.linked, b?.linked),
    ...optional('endsAt', latest(a?.endsAt, b?.endsAt)),
    ...optional('endedAt', a?.endedAt ?? b?.endedAt),
  };
}

/** The later of two ISO-8601 UTC times (they compare as strings), either may be absent. */
const latest = (x?: string, y?: string): string | undefined => (x === undefined ? y : y === undefined ? x : x > y ? x : y);
/** The earlier of two ISO-8601 UTC times, either may be absent. */
const earliest = (x?: string, y?: string): string | undefined => (x === undefined ? y : y === undefined ? x : x < y ? x : y);
const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, string>);

/** Beyond a sink's own delay (the status flush), before a storm's end is taken as final: clocks and writes in flight. */
export const STORM_END_MARGIN_MS = 1_000;

/**
 * The status that ends a storm's aggregate once its storm is over: resolved at the storm's end
 * (storm.endsAt), marked storm.endedAt. Undefined while the storm may still be on, for anything
 * but an aggregate, and for one already resolved. `graceMs` covers status writes still on their
 * way (the coalescer's flush interval): an alert just before endsAt moves it on.
 */
export function endedStormStatus(object: RemediationRequest, nowMs: number, graceMs: number): RemediationRequestStatus | undefined {
  const { status } = object;
  const endsAt = status?.storm?.endsAt;
  if (object.metadata.labels[LABEL_STORM] !== 'true' || !endsAt || status?.resolvedAt) return undefined;
  const endsAtMs = Date.parse(endsAt);
  if (!(nowMs > endsAtMs + graceMs)) return undefined;
  return { ...status, resolvedAt: endsAt, alertState: 'Resolved', storm: { ...(status.storm as StormStatus), endedAt: endsAt } };
}

/** What a folded signal says about its storm's aggregate. */
export interface FoldedSignal {
  readonly signal: Signal;
  readonly storm: {
    readonly key: string;
    readonly keyFingerprint: string;
    /** The label names whose values make the key (STORM_KEY_LABELS): namespace, alertname, maybe more. */
    readonly keyLabels: readonly string[];
    readonly type: 'rate' | 'pattern';
    readonly startMs: number;
    readonly memberCount: number;
    readonly occurrences: number;
    readonly resolved: number;
    readonly overflow: number;
    /** When the storm ends unless more alerts arrive. */
    readonly endsAtMs: number;
    readonly aggregate: ResourceKey;
  };
  readonly traceId?: string | undefined;
}

/**
 * The name of a storm's aggregate of a generation: the first is the storm service's name; a
 * storm whose aggregate ended (a terminal phase, or resolved) while its alerts go on continues in
 * the next, `-2`, `-3`…, so that every replica names the successor alike.
 */
export function aggregateGeneration(name: string, generation: number): string {
  return generation <= 1 ? name : `${name}-${generation}`;
}

/** The storm's aggregate RemediationRequest (label remediation.alertgate.io/storm: "true"), of a generation (aggregateGeneration). */
export function buildAggregate(folded: FoldedSignal, namespace: string, generation = 1): RemediationRequest {
  const { signal, storm } = folded;
  const start = new Date(storm.startMs).toISOString();
  return {
    apiVersion: RR_API_VERSION,
    kind: RR_KIND,
    metadata: {
      name: aggregateGeneration(storm.aggregate.name, generation),
      namespace,
      labels: {
        [LABEL_MANAGED_BY]: 'alertgate',
        [LABEL_FINGERPRINT]: storm.keyFingerprint.slice(0, FINGERPRINT_LABEL_DIGITS),
        [LABEL_ALERTNAME]: labelValue(signal.alertname),
        [LABEL_STORM]: 'true',
        ...(labelValue(signal.severity) ? { [LABEL_SEVERITY]: labelValue(signal.severity) } : {}),
      },
      annotations: folded.traceId ? { [ANNOTATION_TRACE_ID]: folded.traceId } : {},
    },
    spec: {
      fingerprint: storm.keyFingerprint,
      incidentId: aggregateGeneration(`${storm.keyFingerprint.slice(0, 12)}-${storm.startMs.toString(36)}`, generation),
      alertname: signal.alertname,
      severity: signal.severity,
      namespace: signal.namespace,
      ...(namespace !== signal.namespace ? { originNamespace: signal.namespace } : {}),
      source: signal.source === Source.SOURCE_KUBERNETES_EVENT ? 'kubernetes-event' : 'alertmanager',
      // The key is descriptive (the aggregate is found by its key's fingerprint): shortened to
      // what the schema holds, so that long label values cannot make the aggregate unwritable.
      targetResource: { kind: 'storm', name: truncateCharacters(storm.key, SPEC_MAX_LENGTH.targetName) },
      labels: Object.fromEntries(storm.keyLabels.map((label) => [label, keyLabelValue(label, signal)])),
      annotations: {},
      startsAt: start,
      storm: { key: truncateCharacters(storm.key, SPEC_MAX_LENGTH.stormKey), type: storm.type, windowStart: start },
    },
    status: { phase: 'Pending', ...aggregateStatus(folded, []) },
  };
}

/**
 * An individual resource that belongs to a storm's aggregate: an open incident of the same storm
 * key (every key label equal: namespace, alertname and any other STORM_KEY_LABELS), opened before
 * the storm was detected and not yet linked. Forced by remediation-request.spec "links only
 * incidents of the same key".
 */
export function belongsToStorm(object: RemediationRequest, folded: FoldedSignal): boolean {
  const { spec } = object;
  return (
    object.metadata.labels[LABEL_STORM] !== 'true' &&
    folded.storm.keyLabels.every((label) => keyLabelValue(label, spec) === keyLabelValue(label, folded.signal)) &&
    !object.status?.resolvedAt &&
    !object.status?.stormRef &&
    !TERMINAL_PHASES.has(object.status?.phase ?? '')
  );
}

export function memberName(signal: Signal): string | undefined {
  return signal.target && signal.target.name !== '' ? `${signal.target.kind}/${signal.target.name}` : undefined;
}

export function aggregateStatus(folded: FoldedSignal, linked: readonly string[]): RemediationRequestStatus {
  const member = memberName(folded.signal);
  return {
    occurrences: folded.storm.occurrences,
    firstSeen: new Date(folded.storm.startMs).toISOString(),
    lastSeen: new Date().toISOString(),
    alertState: 'Firing',
    storm: {
      memberCount: folded.storm.memberCount,
      resolved: folded.storm.resolved,
      overflow: folded.storm.overflow,
      members: member ? [member] : [],
      linked: [...linked],
      endsAt: new Date(folded.storm.endsAtMs).toISOString(),
    },
  };
}

/**
 * A Warning event's incident never gets a resolution: it is resolved once no event of it was seen
 * for `quietMs`, as of its last sighting plus that time, with the reason. Undefined when the
 * resource is not such an incident, or not quiet for long enough yet.
 */
export function quietEventStatus(
  object: Pick<RemediationRequest, 'spec' | 'status' | 'metadata'>,
  nowMs: number,
  quietMs: number,
): RemediationRequestStatus | undefined {
  if (quietMs <= 0 || object.spec.source !== 'kubernetes-event' || object.status?.resolvedAt || isTerminal(object)) return undefined;
  const lastSeen = Date.parse(object.status?.lastSeen ?? object.metadata.creationTimestamp ?? '');
  if (Number.isNaN(lastSeen) || nowMs - lastSeen < quietMs) return undefined;
  return { ...object.status, resolvedAt: iso(lastSeen + quietMs), alertState: 'Resolved', closedReason: 'EventsQuiet' };
}

/** What a resolution writes: resolved, and the counts dedup had for the incident (merged, never lowered). */
export function resolutionStatus(request: {
  readonly resolvedAtMs: number;
  readonly occurrences: number;
  readonly lastSeenMs: number | undefined;
}): RemediationRequestStatus {
  const status: RemediationRequestStatus = { resolvedAt: iso(request.resolvedAtMs), alertState: 'Resolved' };
  if (request.occurrences > 0) status.occurrences = request.occurrences;
  if (request.lastSeenMs !== undefined && request.lastSeenMs > 0) status.lastSeen = iso(request.lastSeenMs);
  return status;
}
