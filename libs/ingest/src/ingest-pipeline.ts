import {
  Action,
  Source,
  Status,
  type Decision,
  Effect,
  Outcome,
  type AdmitRequest,
  type AdmitResponse,
  type AdoptRequest,
  type AdoptResponse,
  type ApplyBatchRequest,
  type ApplyBatchResponse,
  type ApplyResult,
  type CheckBatchRequest,
  type CheckBatchResponse,
  type ForgetBatchRequest,
  type ForgetBatchResponse,
  type Quota,
  type EvaluateBatchRequest,
  type EvaluateBatchResponse,
  type Verdict,
  type IncidentUpdate,
  type Signal,
  durationToMillis,
} from '@alertgate/proto';
import { AlertgateError, Code } from '@alertgate/errors';
import type { Link } from '@opentelemetry/api';
import { ATTR_BATCH_REQUESTS, ATTR_OUTCOME_PREFIX, ATTR_SIGNAL_COUNT, withSpan } from '@alertgate/telemetry';

import { foldForgotten, stormGuessRepair } from './storm-guess-repair.js';
import { StormKeys } from './storm-keys.js';
import { planWrites } from './write-plan.js';

/** Time a crd-writer call needs at least to be worth making, ms (it keeps some for its answer). */
const MIN_CALL_MS = 1_000;

/** The services the gateway calls, as ports (the app binds them to gRPC clients). */
export interface DedupPort {
  checkBatch(request: CheckBatchRequest): Promise<CheckBatchResponse>;
  forgetBatch(request: ForgetBatchRequest): Promise<ForgetBatchResponse>;
  adopt(request: AdoptRequest): Promise<AdoptResponse>;
}
export interface StormPort {
  evaluateBatch(request: EvaluateBatchRequest): Promise<EvaluateBatchResponse>;
}
export interface RateLimitPort {
  admit(request: AdmitRequest): Promise<AdmitResponse>;
  /** Ratelimit service or its Redis unreachable: go on without limits (true) or fail (false). */
  readonly failOpen: boolean;
}
export interface CrdWriterPort {
  /** One call, answered within `deadlineMs` when given, else within the port's own deadline. */
  applyBatch(request: ApplyBatchRequest, deadlineMs?: number): Promise<ApplyBatchResponse>;
  /** The deadline of a call (CRD_WRITER_DEADLINE); undefined: none known. */
  readonly deadlineMs?: number;
}

export type SignalOutcome = 'created' | 'duplicate' | 'reopened' | 'resolved' | 'pod-resolved' | 'unmatched' | 'deferred' | 'storm' | 'rejected';

export interface SignalResult {
  readonly fingerprint: string;
  readonly outcome: SignalOutcome;
  readonly occurrences?: number | undefined;
  readonly remediationRequest?: { readonly namespace: string; readonly name: string } | undefined;
  /** Outcome rejected: why the alert can never become a resource (pointers relative to the alert). */
  readonly errors?: readonly { readonly pointer: string; readonly detail: string }[] | undefined;
}

/** What the request limit said of the sender (absent without a rate limit service). */
type SourceDecision = { readonly kind: 'admitted' | 'limited'; readonly quota: Quota } | { readonly kind: 'unavailable' };

export interface PipelineResult {
  readonly results: SignalResult[];
  readonly source?: SourceDecision;
  /** Set when a namespace's creation budget deferred some new incidents to the sender's retry. */
  readonly creationBudget?: { readonly quota: Quota; readonly namespace: string };
  /**
   * Set when the crd-writer could not start some updates in time (its Kubernetes create rate, or
   * the deadline): they were deferred to the sender's retry, after retryAfterMs.
   */
  readonly writerBusy?: { readonly retryAfterMs: number };
}

/** The sender's request was over its limit: nothing of it was kept (new incidents forgotten). */
export interface RefusedResult {
  readonly refused: Quota;
}

/** One webhook handed to the pipeline: its signals and the source its request limit counts against. */
export interface IngestRequest {
  readonly signals: readonly Signal[];
  readonly source: string;
  /** The authenticated sender, recorded on the resources the request opens. */
  readonly sender?: string;
}

/** What the admission step decided for each webhook of a batch. */
interface Admission {
  readonly source?: SourceDecision;
  budget?: { quota: Quota; namespace: string };
}

export interface IngestPipelineOptions {
  readonly dedup: DedupPort;
  readonly crdWriter: CrdWriterPort;
  /** Without it, no request or creation limits. */
  readonly rateLimit?: RateLimitPort | undefined;
  /** Without it, no storm detection: every new incident gets its own resource. */
  readonly storm?: StormPort | undefined;
  /** The storm keys learnt from storm's answers (a test passes its own clock's). */
  readonly stormKeys?: StormKeys | undefined;
}

/**
 * Alert → incident → resource, for a whole webhook with one call per service, each one Redis
 * round trip however many alerts it carries, in this order:
 * 1. storm evaluates every firing signal (storm on for its key → "fold if new") and, at the same
 *    time, dedup decides per signal: new, duplicate, resolved, unmatched, or folded (a storm's
 *    signal with no open incident: recorded nowhere). Dedup's "fold if new" is the gateway's guess
 *    from storm's earlier answers (StormKeys); where storm's answer differs — a storm began or
 *    ended in between — one more dedup call sets it right: new incidents storm folds are
 *    forgotten, folded signals storm does not fold are decided again. One hop fewer than asking
 *    in turn (BENCHMARKS.md). If storm fails, the new incidents dedup opened are forgotten
 *    before the request fails, so the retry opens them as new.
 * 2. ratelimit admits the sender's request and, in the same script, takes the creation budget of
 *    the new incidents per namespace;
 * 3. crd-writer makes sure every open incident has its resource (creating it when absent; a
 *    create is idempotent), folds storm members into their aggregate, records resolutions;
 *    repeats travel trimmed, and the few it must create after all are sent again whole. The
 *    status-only updates of a run go in one shared call, each webhook's creates in a call of its
 *    own (planWrites): a webhook waits only for its own work. Creates the crd-writer cannot
 *    start in time (its Kubernetes create rate) are deferred to the sender's retry.
 * Only the exceptional paths take a second dedup call: a storm that began or ended since the
 * guess (above), and new incidents of a refused request or over a namespace's budget, which are
 * forgotten again so that the sender's retry opens them.
 * A failure in any step fails the request with a retryable error. The retry is safe: dedup
 * counts the retried delivery as a duplicate, and crd-writer creates a resource that the failed
 * attempt did not get to write, under the same deterministic name. Occurrences therefore count
 * deliveries, retries included (docs/operations.md).
 */
export class IngestPipeline {
  private readonly dedup: DedupPort;
  private readonly crdWriter: CrdWriterPort;
  private readonly rateLimit: RateLimitPort | undefined;
  private readonly storm: StormPort | undefined;
  private readonly stormKeys: StormKeys;

  constructor(options: IngestPipelineOptions) {
    this.dedup = options.dedup;
    this.crdWriter = options.crdWriter;
    this.rateLimit = options.rateLimit;
    this.storm = options.storm;
    this.stormKeys = options.stormKeys ?? new StormKeys();
  }

  /**
   * Storm's verdicts and dedup's decisions, asked at once (see the class comment), with storm's
   * verdicts authoritative: dedup's decisions come back as if it had been asked after storm.
   */
  private async decide(signals: readonly Signal[]): Promise<{ verdicts: Verdict[]; decisions: Decision[] }> {
    const guesses = signals.map((signal) => this.storm !== undefined && this.stormKeys.inStorm(signal));
    const [stormAnswer, dedupAnswer] = await Promise.allSettled([
      this.evaluateStorms(signals),
      this.dedup.checkBatch({ signals: signals.map(forDedup), foldIfNew: guesses }),
    ]);
    if (dedupAnswer.status === 'rejected') throw dedupAnswer.reason;
    const decisions = [...dedupAnswer.value.decisions];
    if (decisions.length !== signals.length) throw new AlertgateError(Code.Internal, 'dedup answered a different number of decisions');
    if (stormAnswer.status === 'rejected') {
      // Nothing of the request stays opened: the sender's retry opens these incidents as new.
      await this.forget(
        decisions.map((_d, i) => i),
        decisions,
      ).catch(() => undefined);
      throw stormAnswer.reason;
    }
    const verdicts = stormAnswer.value;
    for (const verdict of verdicts) if (verdict.storm) this.stormKeys.learn(verdict.storm);
    const { stormBegan, stormEnded } = stormGuessRepair(guesses, verdicts, decisions);
    const forgotten = new Set(stormBegan.map((i) => decisions[i]?.incident?.id ?? ''));
    const decidedAgain = async (): Promise<void> => {
      if (stormEnded.length === 0) return;
      const { decisions: again } = await this.dedup.checkBatch({
        signals: stormEnded.map((i) => forDedup(signals[i] as Signal)),
        foldIfNew: stormEnded.map(() => false),
      });
      if (again.length !== stormEnded.length) throw new AlertgateError(Code.Internal, 'dedup answered a different number of decisions');
      stormEnded.forEach((i, k) => (decisions[i] = again[k] as Decision));
    };
    await Promise.all([stormBegan.length > 0 ? this.forget(stormBegan, decisions) : undefined, decidedAgain()]);
    return { verdicts, decisions: foldForgotten(decisions, verdicts, forgotten) };
  }

  /**
   * Storm service: which firing signals belong to a storm that is on ("fold if new"). Once storm
   * has said which labels make its keys, signals go with only those (most alerts' labels are
   * not part of a key, and encoding them was a large share of the gateway's CPU, BENCHMARKS.md);
   * if its keys changed meanwhile it answers labels_required and the batch goes again whole.
   */
  private async evaluateStorms(signals: readonly Signal[]): Promise<Verdict[]> {
    const storm = this.storm;
    if (!storm) return [];
    const only = this.stormKeys.labels?.filter((label) => label !== 'namespace' && label !== 'alertname');
    const ask = async (keep: readonly string[] | undefined): Promise<EvaluateBatchResponse> => {
      const answer = await storm.evaluateBatch({
        inputs: signals.map((signal) => ({ signal: forStorm(signal, keep), newIncident: signal.status === Status.STATUS_FIRING })),
        labelsTrimmed: keep !== undefined,
        onlyLabels: keep ? [...keep] : [],
      });
      this.stormKeys.learnKeyLabels(answer.keyLabels);
      return answer;
    };
    let answer = await ask(only);
    if (answer.labelsRequired) answer = await ask(undefined);
    const { verdicts } = answer;
    if (verdicts.length !== signals.length) throw new AlertgateError(Code.Internal, 'storm answered a different number of verdicts');
    return verdicts;
  }

  /**
   * Each webhook's request limit and the namespace creation budget of its new incidents, in one
   * ratelimit call for the batch. Returns the new incidents to defer: all of a refused webhook's;
   * those beyond a namespace's budget otherwise (the sender's retry — 503 to Alertmanager, which
   * retries and otherwise resends at its next group_interval — opens them once the budget
   * allows). Duplicates cost no creation and are never deferred.
   */
  private async admit(
    requests: readonly IngestRequest[],
    offsets: readonly number[],
    signals: readonly Signal[],
    decisions: readonly Decision[],
  ): Promise<{ admissions: Admission[]; deferred: Set<number> }> {
    const deferred = new Set<number>();
    if (!this.rateLimit) return { admissions: requests.map(() => ({})), deferred };
    const demands = requests.map((request, r) => {
      const demand = new Map<string, number[]>();
      const from = offsets[r] ?? 0;
      for (let i = from; i < from + request.signals.length; i++) {
        if (decisions[i]?.outcome !== Outcome.OUTCOME_NEW) continue;
        const namespace = signals[i]?.namespace ?? '';
        const list = demand.get(namespace);
        if (list) list.push(i);
        else demand.set(namespace, [i]);
      }
      return demand;
    });
    let response: AdmitResponse;
    try {
      response = await this.rateLimit.admit({
        admissions: requests.map((request, r) => ({
          source: request.source,
          demands: [...(demands[r] ?? [])].map(([namespace, list]) => ({ namespace, count: list.length })),
        })),
      });
    } catch (err) {
      if (!this.rateLimit.failOpen) throw err;
      return { admissions: requests.map(() => ({ source: { kind: 'unavailable' } })), deferred };
    }
    if (response.results.length !== requests.length) throw new AlertgateError(Code.Internal, 'ratelimit answered a different number of admissions');
    const admissions = response.results.map((result, r): Admission => {
      const demand = demands[r] ?? new Map<string, number[]>();
      const quota = result.quota;
      if (!quota) throw new AlertgateError(Code.Internal, 'ratelimit answered without a quota');
      if (!quota.admitted) {
        for (const list of demand.values()) for (const i of list) deferred.add(i);
        return { source: { kind: 'limited', quota } };
      }
      const admission: Admission = { source: { kind: 'admitted', quota } };
      for (const grant of result.grants) {
        const over = (demand.get(grant.namespace) ?? []).slice(grant.granted);
        if (over.length === 0) continue;
        if (grant.quota) admission.budget = { quota: grant.quota, namespace: grant.namespace };
        const from = offsets[r] ?? 0;
        for (const i of over) {
          const id = decisions[i]?.incident?.id;
          // Later signals of the same incident in this webhook are deferred with it.
          for (let j = from; j < from + (requests[r]?.signals.length ?? 0); j++) if (decisions[j]?.incident?.id === id) deferred.add(j);
        }
      }
      return admission;
    });
    return { admissions, deferred };
  }

  /**
   * One crd-writer call for the updates at `indexes` (of `run.updates`), its answers put in
   * `run.written`. Repeats go trimmed; the few whose resource must be created after all (a retry
   * after a failed first attempt, an ended resource) come back EFFECT_SIGNAL_REQUIRED and are
   * sent again whole, in a second call. What the crd-writer refused, or could not start in time
   * (EFFECT_NOT_STARTED: its deadline, or its Kubernetes create rate), changed nothing: their new
   * incidents are forgotten again, so that the sender's retry opens them. What was still running
   * at the deadline (EFFECT_IN_PROGRESS) may yet land: its incident is kept, and the retry finds
   * it under the same name. Returns the crd-writer's retry-after for both.
   */
  private async writeCall(run: RunWrites, indexes: readonly number[], startedAt: number): Promise<number | undefined> {
    if (indexes.length === 0) return undefined;
    const answer = await this.applyWithin(
      indexes.map((k) => run.updates[k] as IncidentUpdate),
      startedAt,
    );
    const again = indexes.filter((_k, j) => answer.results[j]?.effect === Effect.EFFECT_SIGNAL_REQUIRED);
    indexes.forEach((k, j) => (run.written[k] = answer.results[j]));
    const retryAfters = [durationToMillis(answer.retryAfter)];
    if (again.length > 0) {
      const whole = again.map((k) => ({ ...(run.updates[k] as IncidentUpdate), signal: run.signals[run.kept[k] ?? -1] as Signal, signalTrimmed: false }));
      const retried = await this.applyWithin(whole, startedAt);
      again.forEach((k, j) => (run.written[k] = retried.results[j]));
      retryAfters.push(durationToMillis(retried.retryAfter));
    }
    const undone = indexes.filter((k) => run.written[k]?.effect === Effect.EFFECT_REJECTED || run.written[k]?.effect === Effect.EFFECT_NOT_STARTED);
    if (undone.length > 0)
      await this.forget(
        undone.map((k) => run.kept[k] ?? -1),
        run.decisions,
      );
    // A resolution still running at the deadline is answered 503 too: the retry resolves it again.
    const unresolved = [...undone, ...indexes.filter((k) => run.written[k]?.effect === Effect.EFFECT_IN_PROGRESS)];
    if (unresolved.length > 0)
      await this.restoreResolved(
        unresolved.map((k) => run.kept[k] ?? -1),
        run.decisions,
      );
    const known = retryAfters.filter((ms): ms is number => ms !== undefined);
    return known.length > 0 ? Math.max(...known) : undefined;
  }

  /**
   * A crd-writer call within what is left of one call's deadline since `startedAt` (the start of
   * the run): a webhook's calls, shared and its own, one after another, are answered within one
   * CRD_WRITER_DEADLINE even when the API server is slow. With too little left, nothing is sent:
   * the updates are not started, and the sender's retry brings them again.
   */
  private async applyWithin(updates: IncidentUpdate[], startedAt: number): Promise<ApplyBatchResponse> {
    const leftMs = this.crdWriter.deadlineMs === undefined ? undefined : this.crdWriter.deadlineMs - (Date.now() - startedAt);
    if (leftMs !== undefined && leftMs < MIN_CALL_MS)
      return { results: updates.map(() => ({ effect: Effect.EFFECT_NOT_STARTED, resource: undefined, error: '' })), retryAfter: undefined };
    return this.apply(updates, leftMs);
  }

  /**
   * One crd-writer call. The crd-writer answers within the deadline it is given, with what it
   * did not get to; when its answer is late all the same (a loaded machine), each update may or
   * may not have landed: each is answered EFFECT_IN_PROGRESS, as the crd-writer would have, so
   * that the webhook's 503 says which alerts to retry, and the retry finds their incidents.
   */
  private async apply(updates: IncidentUpdate[], deadlineMs?: number): Promise<ApplyBatchResponse> {
    const answer = await this.crdWriter.applyBatch({ updates }, deadlineMs).catch((err: unknown) => {
      if (AlertgateError.from(err).code !== Code.DeadlineExceeded) throw err;
      return { results: updates.map(() => ({ effect: Effect.EFFECT_IN_PROGRESS, resource: undefined, error: '' })), retryAfter: undefined };
    });
    if (answer.results.length !== updates.length) throw new AlertgateError(Code.Internal, 'crd-writer answered a different number of results');
    return answer;
  }

  /**
   * Runs a step after dedup decided. If it fails for good (not retryable: the sender will not
   * send the same request again), the new incidents among `indexes` (signals) are forgotten
   * first, so that nothing of a request answered 4xx stays in Redis. A retryable failure keeps
   * them: the retry finds them as duplicates and completes their resources under the same names.
   * Either way the resolutions among them are undone in dedup (restoreResolved).
   */
  private async afterDecisions<T>(indexes: readonly number[], decisions: readonly Decision[], step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      await Promise.all([
        AlertgateError.from(err).retryable ? undefined : this.forget(indexes, decisions).catch(() => undefined),
        this.restoreResolved(indexes, decisions).catch(() => undefined),
      ]);
      throw err;
    }
  }

  /**
   * Dedup deletes an incident as it decides its resolution. When the resolution does not reach
   * the resource (the call failed, or the crd-writer did not get to it), the incident is put
   * back with its counts, so that the sender's retry resolves it with them: after a crd-writer
   * crash they are the only record of the deliveries it had coalesced but not yet written.
   */
  private async restoreResolved(indexes: readonly number[], decisions: readonly Decision[]): Promise<void> {
    const resolved = indexes.map((i) => decisions[i]).filter((d): d is Decision => d?.outcome === Outcome.OUTCOME_RESOLVED && d.incident !== undefined);
    await Promise.all(
      resolved.map((d) => this.dedup.adopt({ fingerprint: d.fingerprint, incidentId: d.incident?.id ?? '', occurrences: d.incident?.occurrences ?? 0 })),
    );
  }

  /** Dedup forgets the new incidents among these signals again, in one call. */
  private async forget(indexes: readonly number[], decisions: readonly Decision[]): Promise<void> {
    const incidents = indexes
      .filter((i) => decisions[i]?.outcome === Outcome.OUTCOME_NEW)
      .map((i) => ({ fingerprint: decisions[i]?.fingerprint ?? '', incidentId: decisions[i]?.incident?.id ?? '' }));
    if (incidents.length > 0) await this.dedup.forgetBatch({ incidents });
  }

  /**
   * One webhook of `source` (the identity its request limit counts against). Resolves with the
   * refused quota when the source is over its limit: then nothing of the request was kept.
   */
  async process(signals: readonly Signal[], source = 'internal'): Promise<PipelineResult | RefusedResult> {
    const [result] = await this.processBatch([{ signals, source }]);
    if (!result) throw new AlertgateError(Code.Internal, 'pipeline answered no result');
    return result;
  }

  /**
   * Several webhooks together, with one call per service for all of them (the gateway batches
   * the webhooks that arrive while earlier ones are in flight: PipelineBatcher). One result per
   * webhook, in order.
   */
  async processBatch(requests: readonly IngestRequest[], links: readonly Link[] = []): Promise<(PipelineResult | RefusedResult)[]> {
    return Promise.all(await this.startBatch(requests, links));
  }

  /**
   * A run of several webhooks: resolves once the calls they share are done (decisions, limits,
   * the status-only writes), with one promise per webhook that settles when its own work is
   * done too (the resources it creates: see planWrites). A failure of the shared part fails the
   * run (each sender retries); a failure of a webhook's own call fails the webhooks that wait for
   * it. The run's span ends when every webhook's work has.
   */
  startBatch(requests: readonly IngestRequest[], links: readonly Link[] = []): Promise<Promise<PipelineResult | RefusedResult>[]> {
    const offsets: number[] = [];
    const signals: Signal[] = [];
    for (const request of requests) {
      offsets.push(signals.length);
      signals.push(...request.signals);
    }
    return new Promise((started, failed) => {
      let answered = false;
      withSpan(
        'alertgate.ingest',
        { [ATTR_SIGNAL_COUNT]: signals.length, [ATTR_BATCH_REQUESTS]: requests.length },
        async (span) => {
          const pending = await this.run(requests, offsets, signals);
          answered = true;
          started(pending);
          const settled = await Promise.allSettled(pending);
          const counts = new Map<string, number>();
          for (const outcome of settled) {
            if (outcome.status !== 'fulfilled' || 'refused' in outcome.value) continue;
            for (const result of outcome.value.results) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
          }
          for (const [outcome, count] of counts) span.setAttribute(`${ATTR_OUTCOME_PREFIX}${outcome}`, count);
          const failure = settled.find((outcome) => outcome.status === 'rejected');
          if (failure) throw failure.reason;
        },
        links,
      ).catch((err: unknown) => {
        if (!answered) failed(AlertgateError.from(err));
      });
    });
  }

  /** The shared part of a run (see startBatch), then each webhook's own calls, started. */
  private async run(
    requests: readonly IngestRequest[],
    offsets: readonly number[],
    signals: readonly Signal[],
  ): Promise<Promise<PipelineResult | RefusedResult>[]> {
    const { verdicts, decisions } = await this.decide(signals);
    const { admissions, deferred } = await this.admit(requests, offsets, signals, decisions);
    if (deferred.size > 0) await this.forget([...deferred], decisions);
    const webhookOfSignal = requests.flatMap((request, r) => request.signals.map(() => r));
    // A pod's resolution while its workload's other pods fire changes no resource: nothing to write.
    const kept = signals
      .map((_signal, i) => i)
      .filter(
        (i) => !deferred.has(i) && admissions[webhookOfSignal[i] ?? -1]?.source?.kind !== 'limited' && decisions[i]?.outcome !== Outcome.OUTCOME_POD_RESOLVED,
      );
    const run: RunWrites = {
      signals,
      decisions,
      kept,
      updates: kept.map((i) => updateOf(signals[i] as Signal, verdicts[i], decisions[i], i, requests[webhookOfSignal[i] ?? -1]?.sender ?? '')),
      written: [],
    };
    const plan = planWrites(
      run.updates,
      kept.map((i) => webhookOfSignal[i] ?? 0),
    );
    const startedAt = Date.now();
    const sharedRetryAfter = await this.afterDecisions(
      decisions.map((_d, i) => i),
      decisions,
      () => this.writeCall(run, plan.shared, startedAt),
    );
    const calls = new Map<number, Promise<number | undefined>>();
    for (const [owner, indexes] of plan.own) {
      const call = this.afterDecisions(
        indexes.map((k) => kept[k] ?? -1),
        decisions,
        () => this.writeCall(run, indexes, startedAt),
      );
      // Awaited by the webhooks that wait for it; never left unhandled meanwhile.
      call.catch(() => undefined);
      calls.set(owner, call);
    }
    const resultAt = new Map(kept.map((i, k) => [i, k]));
    return requests.map(async (request, r): Promise<PipelineResult | RefusedResult> => {
      const admission = admissions[r] ?? {};
      if (admission.source?.kind === 'limited') return { refused: admission.source.quota };
      const retryAfters = await Promise.all([...(plan.waits.get(r) ?? [])].map((owner) => calls.get(owner) ?? Promise.resolve(undefined)));
      const from = offsets[r] ?? 0;
      const results = request.signals.map((signal, j) => resultOf(signal, from + j, deferred, decisions, run.written[resultAt.get(from + j) ?? -1]));
      const notStarted = results.some((result, j) => result.outcome === 'deferred' && !deferred.has(from + j));
      const retryAfterMs = Math.max(sharedRetryAfter ?? 0, ...retryAfters.map((ms) => ms ?? 0));
      return {
        results,
        ...(admission.source ? { source: admission.source } : {}),
        ...(admission.budget ? { creationBudget: admission.budget } : {}),
        ...(notStarted ? { writerBusy: { retryAfterMs } } : {}),
      };
    });
  }
}

/** A run's updates and what the crd-writer answered for them (see IngestPipeline.writeCall). */
interface RunWrites {
  readonly signals: readonly Signal[];
  readonly decisions: readonly Decision[];
  /** The signals that became updates, by update. */
  readonly kept: readonly number[];
  readonly updates: readonly IncidentUpdate[];
  /** The crd-writer's answer, by update. */
  readonly written: (ApplyResult | undefined)[];
}

/** The crd-writer's update for a signal, as dedup and storm decided it. */
function updateOf(signal: Signal, verdict: Verdict | undefined, decision: Decision | undefined, i: number, sender: string): IncidentUpdate {
  if (decision?.outcome === Outcome.OUTCOME_FOLDED) {
    if (!verdict?.storm) throw new AlertgateError(Code.Internal, `dedup folded signal ${i}, which storm did not put in a storm`);
    return { action: Action.ACTION_FOLD, signal, incidentId: '', occurrences: 0, pods: 0, storm: verdict.storm, signalTrimmed: false, sender };
  }
  const incident = decision?.incident;
  const open = decision?.outcome === Outcome.OUTCOME_NEW || decision?.outcome === Outcome.OUTCOME_DUPLICATE;
  // A repeat of an open incident only updates its resource's status: its labels and
  // annotations need not travel again (crd-writer asks for them if it must create).
  const trimmed = decision?.outcome === Outcome.OUTCOME_DUPLICATE;
  // One object literal of one shape per update (no conditional spreads: they allocated
  // twice and gave the encoder a shape per combination); the encoder skips undefined.
  return {
    action: open ? Action.ACTION_OPEN : Action.ACTION_RESOLVE,
    signal: trimmed ? forWriterRepeat(signal) : signal,
    signalTrimmed: trimmed,
    incidentId: incident?.id ?? '',
    firstSeen: incident?.firstSeen,
    lastSeen: incident?.lastSeen,
    occurrences: incident?.occurrences ?? 0,
    pods: incident?.pods ?? 0,
    sender,
  };
}

/** A signal's answer: deferred by a creation budget, or what the crd-writer did with it. */
function resultOf(signal: Signal, i: number, deferred: ReadonlySet<number>, decisions: readonly Decision[], written: ApplyResult | undefined): SignalResult {
  if (deferred.has(i)) return { fingerprint: signal.fingerprint, outcome: 'deferred' };
  if (decisions[i]?.outcome === Outcome.OUTCOME_POD_RESOLVED) return { fingerprint: signal.fingerprint, outcome: 'pod-resolved' };
  const ref = written?.resource ? { namespace: written.resource.namespace, name: written.resource.name } : undefined;
  const outcome = OUTCOME_OF_EFFECT[written?.effect ?? Effect.EFFECT_UNSPECIFIED] ?? 'unmatched';
  // One shape for every result (undefined fields are left out of the JSON answer).
  return {
    fingerprint: signal.fingerprint,
    outcome,
    occurrences: outcome === 'created' || outcome === 'duplicate' ? (decisions[i]?.incident?.occurrences ?? 0) : undefined,
    remediationRequest: ref,
    errors: outcome === 'rejected' ? [{ pointer: '', detail: written?.error ?? '' }] : undefined,
  };
}

/**
 * Each service gets only the fields it reads (their protos say which): a webhook's labels and
 * annotations are encoded once, for the crd-writer, instead of three times. Written
 * out field by field, not spread from a template: these run for every alert, and a spread
 * copies property by property into an object of another shape.
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
const forDedup = (signal: Signal): Signal => ({
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
/** Storm reads the labels of its key only: `keep` names them once storm has said which. */
const forStorm = (signal: Signal, keep?: readonly string[]): Signal => trimmedSignal(signal, keep ? pick(signal.labels, keep) : signal.labels);
function pick(labels: Readonly<Record<string, string>>, keep: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of keep) {
    const value = labels[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
const forWriterRepeat = (signal: Signal): Signal => trimmedSignal(signal, NO_LABELS);

/** What the crd-writer did, as the gateway's per-signal outcome. */
const OUTCOME_OF_EFFECT: Partial<Record<Effect, SignalOutcome>> = {
  [Effect.EFFECT_CREATED]: 'created',
  // The resource existed: a repeat, even when Redis had forgotten the incident.
  [Effect.EFFECT_UPDATED]: 'duplicate',
  // A resolved resource opened again: the incident fired again within the flap hold time.
  [Effect.EFFECT_REOPENED]: 'reopened',
  [Effect.EFFECT_RESOLVED]: 'resolved',
  [Effect.EFFECT_FOLDED]: 'storm',
  [Effect.EFFECT_REJECTED]: 'rejected',
  // Not started, or not finished, in time: the sender's retry completes it.
  [Effect.EFFECT_NOT_STARTED]: 'deferred',
  [Effect.EFFECT_IN_PROGRESS]: 'deferred',
};
