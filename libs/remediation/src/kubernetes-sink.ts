import { unwatchFile, watchFile } from 'node:fs';

import { AlertgateError, Code, errorMessage } from '@alertgate/errors';
import { statusBodyOf, type KubernetesAccess } from '@alertgate/kube';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import { incidentId } from '@alertgate/signal';

import {
  aggregateGeneration,
  aggregateStatus,
  applyStatus,
  belongsToStorm,
  buildAggregate,
  buildRemediationRequest,
  cooldownFiringStatus,
  endedStormStatus,
  STORM_END_MARGIN_MS,
  FINGERPRINT_LABEL_DIGITS,
  firedAt,
  inCompletedCooldown,
  isReopenable,
  isTerminal,
  LABEL_ALERTNAME,
  LABEL_FINGERPRINT,
  labelValue,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_STORM,
  MEMBER_LIST_CAP,
  memberName,
  mergeStatus,
  openStatus,
  quietEventStatus,
  recurrenceOf,
  reopenedStatus,
  resolutionStatus,
  resourceName,
  type FoldedSignal,
  type OpenIncident,
  type RemediationRequest,
} from './remediation-request.js';
import type { OpenOptions, OpenResult, RemediationSink, ResolveRequest, ResolveResult } from './remediation-sink.js';
import { CreateLimiter, CREATE_LIMITER_DEFAULTS, type CreateLimiterOptions } from './create-limiter.js';
import { FallbackNamespace } from './fallback-namespace.js';
import { keyOf, targetOf } from './own-writes.js';
import { StatusCoalescer, STATUS_WRITES_IN_FLIGHT_DEFAULT, type StatusTarget } from './status-coalescer.js';
import { RemediationApi, type RemediationObjectsApi } from './remediation-api.js';
import { RemediationWatch } from './remediation-watch.js';
import { MAX_OWN_WRITES, StatusWriter } from './status-writer.js';

export interface KubernetesSinkOptions {
  readonly access: KubernetesAccess;
  /** Where resources go when the alert's namespace does not exist. */
  readonly fallbackNamespace: string;
  /** Status updates of one resource within this interval become one write. */
  readonly statusFlushMs: number;
  /** An open incident's repeats are written at most once per this interval per resource (StatusCoalescer). */
  readonly statusRepeatMs: number;
  readonly logger: Logger;
  /** Called when a resource's phase turns terminal (the dedup window should forget it). */
  readonly onTerminal?: (object: RemediationRequest) => void;
  /**
   * The dedup window (DEDUP_WINDOW, the dedup service's): an open resource not seen for longer
   * is not adopted by a new firing but closed (closedReason DedupWindowExpired), and the firing
   * opens a new incident, as dedup decided.
   */
  readonly dedupWindowMs: number;
  /** The creates' rate and concurrency (CREATE_LIMITER_DEFAULTS when absent). */
  readonly creates?: CreateLimiterOptions;
  /** Coalesced status writes in flight at once (STATUS_WRITES_IN_FLIGHT_DEFAULT when absent). */
  readonly statusWritesInFlight?: number;
  /**
   * Flap damping (FLAP_HOLD_TIME): an incident that fires again at most this long after it
   * resolved opens its resource again (status.reopenCount) instead of a new one; 0: never.
   */
  readonly flapHoldMs: number;
  /** A Warning event's incident not seen for this long is resolved (EVENT_QUIET_TIME); 0: never. */
  readonly eventQuietMs: number;
  /**
   * After a remediation completed, its incident's firings for this long are counted on the
   * completed resource instead of opening a new incident (COMPLETED_COOLDOWN); 0: never.
   */
  readonly completedCooldownMs: number;
  /**
   * The API to call instead of one built from `access`, for unit tests. There is no watch then:
   * start() refuses, and every read goes to this API.
   */
  readonly objects?: RemediationObjectsApi;
  /**
   * This installation's name (INSTANCE), when several share a cluster: its resources carry it as
   * a label, and it watches, lists and adopts only resources that carry it. Absent: all of
   * alertgate's resources are this installation's.
   */
  readonly instance?: string | undefined;
}

const closedByWindow = counter({
  name: 'alertgate_kube_closed_past_window_total',
  help: 'Open resources closed because their incident was last seen longer ago than DEDUP_WINDOW (a new firing opened a new incident).',
});
const closedQuietTotal = counter({
  name: 'alertgate_kube_closed_events_quiet_total',
  help: 'Open resources of Warning events resolved because no event of them was seen for EVENT_QUIET_TIME.',
});
const reopenedTotal = counter({
  name: 'alertgate_kube_reopened_total',
  help: 'Resolved resources opened again because their incident fired again within FLAP_HOLD_TIME (flap damping).',
});
/** How often the kubeconfig file is checked for a change. */
const KUBECONFIG_POLL_MS = 2_000;
/** Aggregates of one storm that may end while it goes on (see fold): a bound, never met in practice. */
const MAX_AGGREGATE_GENERATIONS = 100;

/**
 * Writes RemediationRequests to a real API server (docs/design.md §4 and §5):
 * - Create is idempotent: the name is deterministic per incident and AlreadyExists is success.
 * - Kubernetes is the truth: an incident still open there (Redis lost its state, a second
 *   replica) is found by its fingerprint label and adopted instead of getting a second resource;
 *   a resource in a terminal phase ends its incident, and the next firing opens a new one.
 * - Status changes go through the status subresource, coalesced per resource and flush interval
 *   (the first status too: a new incident's webhook waits for its create alone); a write starts
 *   from this writer's own last write or the watch's copy and reads only after a conflict.
 *   Resolutions are written at once.
 * - A watch keeps a cache of alertgate's resources (fewer reads) and reports phases that turn
 *   terminal, so the dedup window is cleared by event, not by polling.
 */
export class KubernetesSink implements RemediationSink {
  readonly kind = 'kubernetes';
  private readonly watch: RemediationWatch;
  private readonly fallback: FallbackNamespace;
  private readonly coalescer: StatusCoalescer;
  private readonly creates: CreateLimiter;
  private readonly status: StatusWriter;
  private readonly api: RemediationApi;
  /** Storm service's aggregate name → the aggregate its storm went to instead (found by labels, or a successor). */
  private readonly foldedInto = new Map<string, string>();

  constructor(private readonly options: KubernetesSinkOptions) {
    this.api = new RemediationApi({ access: options.access, logger: options.logger, objects: options.objects });
    this.creates = new CreateLimiter(options.creates ?? CREATE_LIMITER_DEFAULTS);
    this.watch = new RemediationWatch({
      logger: options.logger,
      onSeen: (object) => this.status.own.caughtUp(object),
      onDeleted: (object) => this.status.own.forget(keyOf(object)),
      onTerminal: (object) => {
        this.markCompleted(object);
        options.onTerminal?.(object);
      },
    });
    this.status = new StatusWriter({ api: this.api, cached: ({ namespace, name }) => this.watch.get(namespace, name) });
    this.fallback = new FallbackNamespace({
      namespace: options.fallbackNamespace,
      logger: options.logger,
      dryRunCreate: (body) => this.api.dryRunCreate(body),
    });
    this.watchKubeconfig();
    this.coalescer = new StatusCoalescer({
      flushIntervalMs: options.statusFlushMs,
      repeatIntervalMs: options.statusRepeatMs,
      maxWritesInFlight: options.statusWritesInFlight ?? STATUS_WRITES_IN_FLIGHT_DEFAULT,
      merge: mergeStatus,
      write: async (target, next) => {
        await this.status.write(target, next);
      },
      onError: (target, err) =>
        options.logger.warn({ resource: `${target.namespace}/${target.name}`, err: errorMessage(err) }, 'status write failed; will retry'),
    });
  }

  /** A label selector, narrowed to this installation's resources when it has a name. */
  private selector(terms: string): string {
    return this.options.instance ? `${terms},${LABEL_INSTANCE}=${this.options.instance}` : terms;
  }

  /** A resource to create, marked as this installation's when it has a name. */
  private labelled(object: RemediationRequest): RemediationRequest {
    const { instance } = this.options;
    return instance ? { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [LABEL_INSTANCE]: instance } } } : object;
  }

  /** Starts the watch (cache + terminal phases). Safe to call once; the sink works without it. */
  async start(): Promise<void> {
    const watch = await this.api.watchClient();
    const selector = this.selector(`${LABEL_MANAGED_BY}=alertgate`);
    await this.watch.start({ ...watch, selector, list: () => this.api.listForWatch(selector) });
  }

  /**
   * A fingerprint's resources in a namespace as this writer knows them: its own last writes
   * replace what a lagging watch (or a list) still shows, and its own creates the watch has not
   * delivered are added, so that a resource just resolved is not adopted as open and one just
   * created is found.
   */
  private withOwnWrites(namespace: string, head: string, listed: readonly RemediationRequest[]): RemediationRequest[] {
    return this.status.own.overlay(listed, (object) => object.metadata.namespace === namespace && object.metadata.labels?.[LABEL_FINGERPRINT] === head);
  }

  /** The resource, from the watch's cache when it is synced (unless fresh), else from the API server. */
  private async read(namespace: string, name: string, fresh = false): Promise<RemediationRequest | undefined> {
    if (!fresh) {
      // What this writer just wrote (created, resolved) is newer than a watch that lags.
      const hit = this.status.known({ namespace, name });
      if (hit) return hit;
      if (this.watch.synced) return undefined;
    }
    try {
      return await this.api.get({ namespace, name });
    } catch (err) {
      if (err instanceof AlertgateError && err.code === Code.NotFound) return undefined;
      throw err;
    }
  }

  private listByAlertname(namespace: string, alertname: string): Promise<RemediationRequest[]> {
    return this.api.list(namespace, this.selector(`${LABEL_ALERTNAME}=${labelValue(alertname)},${LABEL_MANAGED_BY}=alertgate`), 'alertname');
  }

  /** The resources of a fingerprint in a namespace, this writer's own last writes included. */
  private async ofFingerprint(namespace: string, fingerprint: string): Promise<RemediationRequest[]> {
    const head = fingerprint.slice(0, FINGERPRINT_LABEL_DIGITS);
    const listed =
      this.watch.list(namespace)?.filter((item) => item.metadata.labels?.[LABEL_FINGERPRINT] === head) ??
      (await this.api.list(namespace, this.selector(`${LABEL_FINGERPRINT}=${head}`), 'fingerprint'));
    return this.withOwnWrites(namespace, head, listed).filter((item) => item.spec.fingerprint === fingerprint);
  }

  /** The newest resource of a fingerprint in a namespace that is neither resolved nor ended. */
  private async findOpen(namespace: string, fingerprint: string): Promise<RemediationRequest | undefined> {
    return newestOpen(await this.ofFingerprint(namespace, fingerprint));
  }

  /** Of a fingerprint's resources, the one that resolved last, if it may open again now (isReopenable). */
  private newestReopenable(items: readonly RemediationRequest[], firedAtMs: number): RemediationRequest | undefined {
    if (this.options.flapHoldMs <= 0) return undefined;
    return items
      .filter((item) => isReopenable(item, firedAtMs, this.options.flapHoldMs))
      .sort((a, b) => (b.status?.resolvedAt ?? '').localeCompare(a.status?.resolvedAt ?? ''))[0];
  }

  /**
   * Creates the resource and returns it as the API server stored it (fresh enough for the first
   * status write, which then needs no read); 'exists' when it already did (AlreadyExists is
   * success, at once), 'no-namespace' when its namespace is missing.
   */
  private async create(object: RemediationRequest, deadlineAt: number | undefined): Promise<RemediationRequest | 'exists' | 'no-namespace'> {
    const release = await this.creates.acquire(deadlineAt);
    try {
      return await this.api.create(object);
    } catch (err) {
      if (!(err instanceof AlertgateError)) throw err;
      if (err.code === Code.AlreadyExists) return 'exists';
      if (err.code === Code.NotFound && statusBodyOf(err.cause).details?.kind === 'namespaces') return 'no-namespace';
      throw err;
    } finally {
      release();
    }
  }

  open(incident: OpenIncident, options: OpenOptions = {}): Promise<OpenResult> {
    return this.openIn(incident, this.fallback.target(incident.signal.namespace), options);
  }

  /** open() in `namespace`: the signal's, or the fallback namespace. */
  private async openIn(incident: OpenIncident, namespace: string, options: OpenOptions): Promise<OpenResult> {
    const ref = { namespace, name: resourceName(incident.signal.alertname, incident.incidentId) };
    const current = await this.read(namespace, ref.name);
    if (!current) return this.openByFingerprint(incident, ref, options);
    const cooled = await this.countInCooldown(current, incident);
    if (cooled) return cooled;
    if (!isOpen(current) && isReopenable(current, firedAt(incident), this.options.flapHoldMs)) return this.reopen(current, incident, options);
    if (!isOpen(current)) {
      // The controller finished this incident while the alert kept firing, or it was resolved
      // and Redis still had it (a failover's replica behind its master): a new incident.
      return options.mayCreate === false ? signalRequired(ref) : this.openNew(incident, namespace, options);
    }
    this.coalescer.schedule(ref, openStatus(incident), 'repeat');
    return { created: false, ref };
  }

  /** open() of an incident with no resource of its name (`ref`): found by its fingerprint, or created. */
  private async openByFingerprint(incident: OpenIncident, ref: StatusTarget, options: OpenOptions): Promise<OpenResult> {
    const { namespace } = ref;
    const ofFingerprint = await this.ofFingerprint(namespace, incident.signal.fingerprint);
    // Dedup forgot the completed incident; its alert fires on within the cooldown.
    const cooling = ofFingerprint.find((item) => inCompletedCooldown(item, Date.now(), this.options.completedCooldownMs));
    const counted = cooling && (await this.countInCooldown(cooling, incident));
    if (counted) return counted;
    const open = newestOpen(ofFingerprint);
    if (open && (!this.pastWindow(open) || !(await this.closePastWindow(open)))) return this.adopt(open, incident);
    // Resolved moments ago and firing again (a flapping alert): the same resource, reopened.
    const resolved = this.newestReopenable(ofFingerprint, firedAt(incident));
    if (resolved) return this.reopen(resolved, incident, options);
    if (options.mayCreate === false) return signalRequired(ref);
    return this.createIncident(incident, ref, ofFingerprint, options);
  }

  /**
   * An incident open in Kubernetes and unknown to Redis (state lost, or evicted) is adopted,
   * counting on from what its resource has recorded, including counts this writer has not
   * flushed yet. (Counts another replica holds unflushed when Redis is lost are the one thing
   * that can be lost.)
   */
  private adopt(open: RemediationRequest, incident: OpenIncident): OpenResult {
    const ref = targetOf(open);
    const recorded = Math.max(open.status?.occurrences ?? 0, this.coalescer.pendingFor(ref)?.occurrences ?? 0);
    const occurrences = recorded + incident.occurrences;
    this.coalescer.schedule(ref, { ...openStatus(incident), occurrences });
    return { created: false, ref, adopted: { incidentId: open.spec.incidentId, occurrences } };
  }

  /**
   * Creates the incident's resource `ref`. An earlier incident of its fingerprint a controller
   * finished is named in it, so that a controller can tell a fix that did not hold from a new
   * problem. The API server ignores status on create: the first status goes with the next flush,
   * from the object just created (no read), so that the webhook waits for its create alone, half
   * the API server's work on its path; the status follows within STATUS_FLUSH_INTERVAL.
   */
  private async createIncident(
    incident: OpenIncident,
    ref: StatusTarget,
    ofFingerprint: readonly RemediationRequest[],
    options: OpenOptions,
  ): Promise<OpenResult> {
    const { namespace, name } = ref;
    const object = this.labelled(buildRemediationRequest(incident, namespace, recurrenceOf(ofFingerprint)));
    const outcome = await this.create(object, options.deadlineAt);
    if (outcome === 'no-namespace') return this.openIn(incident, this.fallback.missing(namespace), options);
    let base = outcome === 'exists' ? undefined : outcome;
    if (outcome === 'exists') {
      base = await this.read(namespace, name, true);
      if (base && !isOpen(base)) return this.openNew(incident, namespace, options);
    }
    if (base) this.status.remember(ref, base);
    this.coalescer.schedule(ref, openStatus(incident));
    return { created: outcome !== 'exists', ref };
  }

  /**
   * Kubernetes is the truth for aggregates as for incidents: a folded signal goes to the open
   * aggregate of its storm key found by its labels (Redis lost its state mid-storm: the storm
   * service's name, built from the storm's start, is a new one), else to the named one, created
   * when absent. An aggregate that ended (a terminal phase, or resolved) ends its storm there:
   * the storm's further alerts go to its successor (aggregateGeneration).
   */
  async fold(folded: FoldedSignal, options: OpenOptions = {}): Promise<OpenResult> {
    return this.foldIn(folded, this.fallback.target(folded.storm.aggregate.namespace), options);
  }

  private async foldIn(folded: FoldedSignal, namespace: string, options: OpenOptions): Promise<OpenResult> {
    const named = folded.storm.aggregate.name;
    // The aggregate this storm went to last, so that only a storm's first alert after a change searches.
    const last = await this.read(namespace, this.foldedInto.get(`${namespace}/${named}`) ?? named);
    if (last && this.stillOn(last)) return this.foldInto(last, folded);
    const open = await this.findOpen(namespace, folded.storm.keyFingerprint);
    if (open && this.stillOn(open)) return this.foldInto(open, folded, named);
    for (let generation = 1; generation <= MAX_AGGREGATE_GENERATIONS; generation++) {
      const name = aggregateGeneration(named, generation);
      const existing = await this.read(namespace, name);
      if (existing && this.stillOn(existing)) return this.foldInto(existing, folded, named);
      if (existing) continue;
      const outcome = await this.create(this.labelled(buildAggregate(folded, namespace, generation)), options.deadlineAt);
      if (outcome === 'no-namespace') return this.foldIn(folded, this.fallback.missing(namespace), options);
      if (outcome === 'exists') {
        // Created meanwhile by another call or replica: decided on it as the API server has it.
        const fresh = await this.read(namespace, name, true);
        if (fresh && this.stillOn(fresh)) return this.foldInto(fresh, folded, named);
        continue;
      }
      const ref = { namespace, name };
      this.status.remember(ref, outcome);
      this.rememberFold(namespace, named, name);
      await this.linkStorm(ref, folded);
      return { created: true, ref };
    }
    throw new AlertgateError(Code.Internal, `storm ${named}: ${MAX_AGGREGATE_GENERATIONS} aggregates of one storm ended; not creating more`);
  }

  /** An aggregate a folded signal may still count on: open, and its storm not over by its endsAt (see endStorms). */
  private stillOn(aggregate: RemediationRequest): boolean {
    return isOpen(aggregate) && endedStormStatus(this.withPending(aggregate), Date.now(), this.stormEndGraceMs) === undefined;
  }

  /** Beyond an aggregate's endsAt before its storm counts as over: status this replica has not written yet moves it on. */
  private get stormEndGraceMs(): number {
    return this.options.statusFlushMs + STORM_END_MARGIN_MS;
  }

  /** The object with the status this writer has not written yet merged in. */
  private withPending(object: RemediationRequest): RemediationRequest {
    const pending = this.coalescer.pendingFor(targetOf(object));
    return pending && object.status ? { ...object, status: mergeStatus(object.status, pending) } : object;
  }

  private rememberFold(namespace: string, named: string, name: string): void {
    const key = `${namespace}/${named}`;
    if (name === named) {
      this.foldedInto.delete(key);
      return;
    }
    if (this.foldedInto.size >= MAX_OWN_WRITES) this.foldedInto.delete(this.foldedInto.keys().next().value ?? '');
    this.foldedInto.set(key, name);
  }

  /**
   * Folds the signal into an open aggregate. What a crash must not lose is written at once (a
   * few writes per storm): the links and first status of an aggregate whose first status never
   * got written (a failure after its create), and a member not yet recorded. The rest (counts,
   * times, endsAt) is coalesced: every folded alert brings the storm's counts from Redis again.
   */
  private async foldInto(aggregate: RemediationRequest, folded: FoldedSignal, named?: string): Promise<OpenResult> {
    const ref = targetOf(aggregate);
    if (named !== undefined) this.rememberFold(ref.namespace, named, ref.name);
    if (!aggregate.status?.storm && !this.coalescer.pendingFor(ref)?.storm) {
      await this.linkStorm(ref, folded);
      return { created: false, ref };
    }
    const status = aggregateStatus(folded, []);
    const member = memberName(folded.signal);
    const recorded = aggregate.status?.storm?.members ?? [];
    if (member !== undefined && recorded.length < MEMBER_LIST_CAP && !recorded.includes(member)) await this.coalescer.writeNow(ref, status);
    else this.coalescer.schedule(ref, status);
    return { created: false, ref };
  }

  /**
   * Links the storm's incidents that opened individually before it was detected to its aggregate,
   * both ways, and writes the aggregate's first status; at once, before the webhook is answered.
   * Done again when the first status is missing (linked incidents keep their stormRef, so they
   * are found again).
   */
  private async linkStorm(ref: StatusTarget, folded: FoldedSignal): Promise<void> {
    const candidates = await this.listByAlertname(folded.signal.namespace, folded.signal.alertname);
    const linked = candidates.filter((object) => object.status?.stormRef === ref.name || belongsToStorm(object, folded));
    await Promise.all(
      linked.filter((object) => object.status?.stormRef !== ref.name).map((object) => this.coalescer.writeNow(targetOf(object), { stormRef: ref.name })),
    );
    await this.coalescer.writeNow(
      ref,
      aggregateStatus(
        folded,
        linked.map((object) => object.metadata.name),
      ),
    );
  }

  /** Whether the resource's incident was last seen longer ago than the dedup window. */
  private pastWindow(object: RemediationRequest): boolean {
    const pending = this.coalescer.pendingFor(targetOf(object));
    const seen = [object.status?.lastSeen, pending?.lastSeen, object.metadata.creationTimestamp].map((at) => (at ? Date.parse(at) : 0));
    return Date.now() - Math.max(...seen) > this.options.dedupWindowMs;
  }

  /**
   * Closes an open resource whose incident is past the dedup window: resolved as of its last
   * sighting plus the window, with the reason. False when a fresh read shows it seen again
   * meanwhile (then it is still the open incident).
   */
  private async closePastWindow(object: RemediationRequest): Promise<boolean> {
    let seenAgain = false;
    const target = targetOf(object);
    const closed = await this.status.writeOf(target, (fresh) => {
      if (fresh.status?.resolvedAt) return undefined;
      if (!this.pastWindow(fresh)) {
        seenAgain = true;
        return undefined;
      }
      const lastSeen = Date.parse(fresh.status?.lastSeen ?? fresh.metadata.creationTimestamp ?? '') || Date.now();
      return {
        ...fresh.status,
        resolvedAt: new Date(lastSeen + this.options.dedupWindowMs).toISOString(),
        alertState: 'Resolved',
        closedReason: 'DedupWindowExpired',
      };
    });
    if (closed) closedByWindow.inc();
    return !seenAgain;
  }

  /**
   * Opens a resolved resource again for a firing of its incident: written at once (a resolution
   * was, and the two must not be reordered in memory). The dedup window adopts its incident, so
   * that later repeats land on it. When a fresh read shows it finished meanwhile, or past the
   * hold time, the firing opens a new incident instead.
   */
  private async reopen(object: RemediationRequest, incident: OpenIncident, options: OpenOptions): Promise<OpenResult> {
    const ref = targetOf(object);
    const sameIncident = object.spec.incidentId === incident.incidentId;
    let occurrences = 0;
    let stillOpen = false;
    const written = await this.status.writeOf(ref, (fresh) => {
      if (isOpen(fresh)) {
        // Reopened by another firing meanwhile: this one is a repeat on it.
        stillOpen = true;
        occurrences = sameIncident ? Math.max(fresh.status?.occurrences ?? 0, incident.occurrences) : (fresh.status?.occurrences ?? 0) + incident.occurrences;
        return applyStatus(fresh.status, { ...openStatus(incident), occurrences });
      }
      if (!isReopenable(fresh, firedAt(incident), this.options.flapHoldMs)) return undefined;
      const status = reopenedStatus(fresh.status, incident, sameIncident);
      occurrences = status.occurrences ?? incident.occurrences;
      return status;
    });
    if (!written && !stillOpen) return this.openNew(incident, ref.namespace, options);
    if (!stillOpen) reopenedTotal.inc();
    const adopted = sameIncident ? {} : { adopted: { incidentId: object.spec.incidentId, occurrences } };
    return { created: false, ref, reopened: !stillOpen, ...adopted };
  }

  /**
   * Counts a firing received in the cooldown after Completed on the completed resource, written
   * at once; dedup adopts its incident, so that repeats come here too until the cooldown has
   * passed. The clock is the delivery's, not the alert's startsAt: an alert that kept firing
   * through the fix started before it. Undefined when the resource is not (or, read afresh, no
   * longer) in its cooldown: the firing is then what it would be without one.
   */
  private async countInCooldown(object: RemediationRequest, incident: OpenIncident): Promise<OpenResult | undefined> {
    const cooling = (item: RemediationRequest): boolean => inCompletedCooldown(item, Date.now(), this.options.completedCooldownMs);
    if (!cooling(object)) return undefined;
    const ref = targetOf(object);
    const sameIncident = object.spec.incidentId === incident.incidentId;
    // A repeat of the adopted incident carries dedup's count for it, which includes the firings before.
    const deliveries = sameIncident ? 1 : incident.occurrences;
    const counted = await this.status.writeOf(ref, (fresh) => (cooling(fresh) ? cooldownFiringStatus(fresh.status, deliveries) : undefined));
    if (!counted) return undefined;
    return { created: false, ref, ...(sameIncident ? {} : { adopted: { incidentId: object.spec.incidentId, occurrences: incident.occurrences } }) };
  }

  /** Records when the phase turned Completed (once): the cooldown counts from it. */
  private markCompleted(object: RemediationRequest): void {
    // Aggregates end their storm instead (fold): no cooldown.
    if (
      this.options.completedCooldownMs <= 0 ||
      object.status?.phase !== 'Completed' ||
      object.status.completedAt ||
      object.metadata.labels?.[LABEL_STORM] === 'true'
    )
      return;
    const target = targetOf(object);
    const at = new Date().toISOString();
    this.status
      .writeOf(target, (fresh) => (fresh.status?.phase === 'Completed' && !fresh.status.completedAt ? { ...fresh.status, completedAt: at } : undefined))
      .catch((err: unknown) =>
        this.options.logger.warn(
          { resource: `${target.namespace}/${target.name}`, err: errorMessage(err) },
          'could not record when the remediation completed; its cooldown is not applied',
        ),
      );
  }

  /** A new incident of the same fingerprint, starting now; dedup adopts its id. */
  private async openNew(incident: OpenIncident, namespace: string, options: OpenOptions): Promise<OpenResult> {
    const now = Date.now();
    const next: OpenIncident = { ...incident, incidentId: incidentId(incident.signal.fingerprint, now), firstSeenMs: now, lastSeenMs: now, occurrences: 1 };
    const result = await this.openIn(next, namespace, options);
    return { ...result, adopted: { incidentId: next.incidentId, occurrences: 1 } };
  }

  async resolve(request: ResolveRequest): Promise<ResolveResult> {
    for (const ns of this.fallback.candidates(request.signal.namespace)) {
      let current = request.incidentId ? await this.read(ns, resourceName(request.signal.alertname, request.incidentId)) : undefined;
      current ??= await this.findOpen(ns, request.signal.fingerprint);
      if (!current) continue;
      const ref = { namespace: ns, name: current.metadata.name };
      // Written at once: Alertmanager sends a resolution once; it must not wait in memory.
      await this.status.write(ref, resolutionStatus(request));
      return { ref };
    }
    return {};
  }

  async endStorms(nowMs: number): Promise<number> {
    const selector = this.selector(`${LABEL_MANAGED_BY}=alertgate,${LABEL_STORM}=true`);
    const isAggregate = (object: RemediationRequest): boolean => object.metadata.labels?.[LABEL_STORM] === 'true';
    const listed = this.watch.list()?.filter(isAggregate) ?? (await this.api.listAll('storm aggregates', { labelSelector: selector }));
    // The aggregates this writer created or wrote count too: a watch that lags behind (or has
    // quietly stopped) would otherwise leave a storm this replica saw end unresolved.
    const aggregates = this.status.own.overlay(listed, isAggregate);
    // Status this replica has not written yet counts: an alert just before endsAt moved it on.
    const grace = this.stormEndGraceMs;
    let ended = 0;
    for (const object of aggregates) {
      const target = targetOf(object);
      if (!endedStormStatus(this.withPending(object), nowMs, grace)) continue;
      // Decided again on the newest version known (another replica may have moved endsAt), with
      // what this replica has not written yet: the storm ends at its last endsAt, not an older one.
      if (await this.status.writeOf(target, (fresh) => endedStormStatus(this.withPending(fresh), nowMs, grace))) ended += 1;
    }
    return ended;
  }

  /**
   * Resolves the quiet Warning-event incidents (quietEventStatus), from the watch's cache: with no
   * synced watch it waits for the next call rather than list every resource.
   */
  async closeQuietEvents(nowMs: number): Promise<number> {
    const all = this.watch.list();
    if (this.options.eventQuietMs <= 0 || !all) return 0;
    const quiet = this.options.eventQuietMs;
    let closed = 0;
    for (const listed of all) {
      // Status this replica has not written yet counts: a repeat just now moved lastSeen on.
      if (!quietEventStatus(this.withPending(listed), nowMs, quiet)) continue;
      const target = targetOf(listed);
      if (await this.status.writeOf(target, (fresh) => quietEventStatus(this.withPending(fresh), nowMs, quiet))) closed += 1;
    }
    if (closed > 0) closedQuietTotal.inc(closed);
    return closed;
  }

  async check(): Promise<void> {
    await this.fallback.check();
    await this.api.listAll('remediationrequests', { limit: 1 });
  }

  /**
   * Rereads the kubeconfig when its file changes (the API server moved, credentials rotated):
   * the next call loads the new one, and the watch starts again on it. Polled, since editors and
   * Secret mounts replace the file rather than write it in place.
   */
  private watchKubeconfig(): void {
    const { access } = this.options;
    if (!('kubeconfigPath' in access)) return;
    watchFile(access.kubeconfigPath, { interval: KUBECONFIG_POLL_MS, persistent: false }, (now, before) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
      this.options.logger.info({ kubeconfig: access.kubeconfigPath }, 'kubeconfig changed; reloading it and restarting the watch');
      this.api.reload();
      void this.restartWatch();
    });
  }

  private async restartWatch(): Promise<void> {
    await this.watch.stop();
    await this.start().catch((err: unknown) =>
      this.options.logger.warn({ err: errorMessage(err) }, 'watch not restarted after the kubeconfig changed; will retry on its next change'),
    );
  }

  async close(): Promise<void> {
    if ('kubeconfigPath' in this.options.access) unwatchFile(this.options.access.kubeconfigPath);
    await this.coalescer.close();
    await this.watch.stop();
  }
}

/** A trimmed signal cannot become a resource: the caller sends it again whole. */
function signalRequired(ref: StatusTarget): OpenResult {
  return { created: false, ref, signalRequired: true };
}

/** The newest of a fingerprint's resources that is neither resolved nor ended. */
function newestOpen(items: readonly RemediationRequest[]): RemediationRequest | undefined {
  return items
    .filter((item) => !item.status?.resolvedAt && !isTerminal(item))
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
}

/** Neither resolved nor in a terminal phase: what a signal may still be counted on. */
function isOpen(object: RemediationRequest): boolean {
  return !object.status?.resolvedAt && !isTerminal(object);
}
