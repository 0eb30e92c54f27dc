import {
  Status,
  type Decision,
  Effect,
  Outcome,
  type AdmitRequest,
  type AdmitResponse,
  type AdmissionResult,
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

import { forDedup, forStorm, updateOf } from './signal-shapes.js';
import { afterForgetting, stormGuessRepair, type GuessedSignal } from './storm-guess-repair.js';
import { StormKeys } from './storm-keys.js';
import { planWrites, type PlannedUpdate } from './write-plan.js';

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

/** What the admission step decided for a webhook. */
interface Admission {
  readonly source?: SourceDecision;
  readonly budget?: { readonly quota: Quota; readonly namespace: string };
}

/** One signal of a run, from its webhook to the crd-writer's answer: each step fills in its part. */
interface RunSignal extends GuessedSignal {
  /** The webhook that brought it: its index in the run. */
  readonly webhook: number;
  readonly signal: Signal;
  decision: Decision;
  verdict: Verdict | undefined;
  /** Left to the sender's retry: its webhook was refused, or over its namespace's creation budget. */
  deferred: boolean;
  /** What the crd-writer did with its update; undefined: it had none, or got no answer. */
  written: ApplyResult | undefined;
}

/** One webhook of a run. */
interface RunWebhook {
  readonly request: IngestRequest;
  readonly signals: readonly RunSignal[];
  admission: Admission;
}

/** A signal's update for the crd-writer. */
interface RunUpdate extends PlannedUpdate {
  readonly of: RunSignal;
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
 * Each signal of a run is one record (RunSignal) that every step fills in; what each service is
 * sent of it, and why in that shape, is in signal-shapes.ts.
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
  private async decide(requests: readonly IngestRequest[]): Promise<RunSignal[]> {
    const asked = requests.flatMap((request, webhook) =>
      request.signals.map((signal) => ({ webhook, signal, guess: this.storm !== undefined && this.stormKeys.inStorm(signal) })),
    );
    const [stormAnswer, dedupAnswer] = await Promise.allSettled([this.evaluateStorms(asked.map(({ signal }) => signal)), this.checkBatch(asked)]);
    if (dedupAnswer.status === 'rejected') throw dedupAnswer.reason;
    const decisions = dedupAnswer.value;
    const verdicts = stormAnswer.status === 'fulfilled' ? stormAnswer.value : [];
    const run = asked.map((one, i): RunSignal => ({
      webhook: one.webhook,
      signal: one.signal,
      guess: one.guess,
      decision: decisions[i] as Decision,
      verdict: verdicts[i],
      deferred: false,
      written: undefined,
    }));
    if (stormAnswer.status === 'rejected') {
      // Nothing of the request stays opened: the sender's retry opens these incidents as new.
      await this.forget(run).catch(() => undefined);
      throw stormAnswer.reason;
    }
    for (const verdict of verdicts) if (verdict.storm) this.stormKeys.learn(verdict.storm);
    await this.repairGuesses(run);
    return run;
  }

  /** Dedup's decisions for these signals, told "fold if new" by each one's guess; one per signal. */
  private async checkBatch(signals: readonly { readonly signal: Signal; readonly guess: boolean }[]): Promise<readonly Decision[]> {
    const { decisions } = await this.dedup.checkBatch({ signals: signals.map(({ signal }) => forDedup(signal)), foldIfNew: signals.map(({ guess }) => guess) });
    if (decisions.length !== signals.length) throw new AlertgateError(Code.Internal, 'dedup answered a different number of decisions');
    return decisions;
  }

  /** Sets right what dedup decided on a wrong storm guess (stormGuessRepair). */
  private async repairGuesses(run: readonly RunSignal[]): Promise<void> {
    const { stormBegan, stormEnded } = stormGuessRepair(run);
    const forgotten = new Set(stormBegan.map(({ decision }) => decision.incident?.id ?? ''));
    const decideAgain = async (): Promise<void> => {
      if (stormEnded.length === 0) return;
      const again = await this.checkBatch(stormEnded.map(({ signal }) => ({ signal, guess: false })));
      stormEnded.forEach((one, k) => (one.decision = again[k] as Decision));
    };
    await Promise.all([stormBegan.length > 0 ? this.forget(stormBegan) : undefined, decideAgain()]);
    for (const one of run) one.decision = afterForgetting(one, forgotten);
  }

  /**
   * Storm service: which firing signals belong to a storm that is on ("fold if new"). Once storm
   * has said which labels make its keys, signals go with only those (forStorm); if its keys
   * changed meanwhile it answers labels_required and the batch goes again whole.
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
   * ratelimit call for the run. Sets each webhook's admission, and defers new incidents: all of a
   * refused webhook's; those beyond a namespace's budget otherwise (the sender's retry — 503 to
   * Alertmanager, which retries and otherwise resends at its next group_interval — opens them
   * once the budget allows). Duplicates cost no creation and are never deferred.
   */
  private async admit(webhooks: readonly RunWebhook[]): Promise<void> {
    const rateLimit = this.rateLimit;
    if (!rateLimit) return;
    const demands = webhooks.map((webhook) => newByNamespace(webhook.signals));
    let response: AdmitResponse;
    try {
      response = await rateLimit.admit({
        admissions: webhooks.map((webhook, r) => ({
          source: webhook.request.source,
          demands: [...(demands[r] ?? [])].map(([namespace, list]) => ({ namespace, count: list.length })),
        })),
      });
    } catch (err) {
      if (!rateLimit.failOpen) throw err;
      for (const webhook of webhooks) webhook.admission = { source: { kind: 'unavailable' } };
      return;
    }
    if (response.results.length !== webhooks.length) throw new AlertgateError(Code.Internal, 'ratelimit answered a different number of admissions');
    response.results.forEach((result, r) => {
      const webhook = webhooks[r] as RunWebhook;
      webhook.admission = admissionOf(webhook, result, demands[r] ?? new Map());
    });
  }

  /**
   * One crd-writer call for these updates, its answers recorded on their signals. Repeats go
   * trimmed; the few whose resource must be created after all (a retry after a failed first
   * attempt, an ended resource) come back EFFECT_SIGNAL_REQUIRED and are sent again whole, in a
   * second call. What the crd-writer refused, or could not start in time (EFFECT_NOT_STARTED:
   * its deadline, or its Kubernetes create rate), changed nothing: their new incidents are
   * forgotten again, so that the sender's retry opens them. What was still running at the
   * deadline (EFFECT_IN_PROGRESS) may yet land: its incident is kept, and the retry finds it
   * under the same name. Returns the crd-writer's retry-after for both.
   */
  private async writeCall(updates: readonly RunUpdate[], startedAt: number): Promise<number | undefined> {
    if (updates.length === 0) return undefined;
    const answer = await this.applyWithin(
      updates.map(({ update }) => update),
      startedAt,
    );
    updates.forEach(({ of }, j) => (of.written = answer.results[j]));
    const retryAfters = [durationToMillis(answer.retryAfter)];
    const again = updates.filter(({ of }) => of.written?.effect === Effect.EFFECT_SIGNAL_REQUIRED);
    if (again.length > 0) {
      const whole = again.map(({ update, of }) => ({ ...update, signal: of.signal, signalTrimmed: false }));
      const retried = await this.applyWithin(whole, startedAt);
      again.forEach(({ of }, j) => (of.written = retried.results[j]));
      retryAfters.push(durationToMillis(retried.retryAfter));
    }
    const effects = (...wanted: Effect[]): RunSignal[] =>
      updates.map(({ of }) => of).filter((of) => wanted.includes(of.written?.effect ?? Effect.EFFECT_UNSPECIFIED));
    const undone = effects(Effect.EFFECT_REJECTED, Effect.EFFECT_NOT_STARTED);
    if (undone.length > 0) await this.forget(undone);
    // A resolution still running at the deadline is answered 503 too: the retry resolves it again.
    const unresolved = effects(Effect.EFFECT_REJECTED, Effect.EFFECT_NOT_STARTED, Effect.EFFECT_IN_PROGRESS);
    if (unresolved.length > 0) await this.restoreResolved(unresolved);
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
   * send the same request again), the new incidents among `signals` are forgotten first, so that
   * nothing of a request answered 4xx stays in Redis. A retryable failure keeps them: the retry
   * finds them as duplicates and completes their resources under the same names. Either way the
   * resolutions among them are undone in dedup (restoreResolved).
   */
  private async afterDecisions<T>(signals: readonly RunSignal[], step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      await Promise.all([
        AlertgateError.from(err).retryable ? undefined : this.forget(signals).catch(() => undefined),
        this.restoreResolved(signals).catch(() => undefined),
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
  private async restoreResolved(signals: readonly RunSignal[]): Promise<void> {
    const resolved = signals.map(({ decision }) => decision).filter((d) => d.outcome === Outcome.OUTCOME_RESOLVED && d.incident !== undefined);
    await Promise.all(
      resolved.map((d) => this.dedup.adopt({ fingerprint: d.fingerprint, incidentId: d.incident?.id ?? '', occurrences: d.incident?.occurrences ?? 0 })),
    );
  }

  /** Dedup forgets the new incidents among these signals again, in one call. */
  private async forget(signals: readonly RunSignal[]): Promise<void> {
    const incidents = signals
      .map(({ decision }) => decision)
      .filter((d) => d.outcome === Outcome.OUTCOME_NEW)
      .map((d) => ({ fingerprint: d.fingerprint, incidentId: d.incident?.id ?? '' }));
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
    const signalCount = requests.reduce((sum, request) => sum + request.signals.length, 0);
    return new Promise((started, failed) => {
      let answered = false;
      withSpan(
        'alertgate.ingest',
        { [ATTR_SIGNAL_COUNT]: signalCount, [ATTR_BATCH_REQUESTS]: requests.length },
        async (span) => {
          const pending = await this.run(requests);
          answered = true;
          started(pending);
          const settled = await Promise.allSettled(pending);
          for (const [outcome, count] of outcomeCounts(settled)) span.setAttribute(`${ATTR_OUTCOME_PREFIX}${outcome}`, count);
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
  private async run(requests: readonly IngestRequest[]): Promise<Promise<PipelineResult | RefusedResult>[]> {
    const run = await this.decide(requests);
    const webhooks = byWebhook(requests, run);
    await this.admit(webhooks);
    const deferred = run.filter((one) => one.deferred);
    if (deferred.length > 0) await this.forget(deferred);
    const plan = planWrites(this.updatesOf(webhooks));
    const startedAt = Date.now();
    const sharedRetryAfter = await this.afterDecisions(run, () => this.writeCall(plan.shared, startedAt));
    const calls = new Map<number, Promise<number | undefined>>();
    for (const [owner, updates] of plan.own) {
      const call = this.afterDecisions(
        updates.map(({ of }) => of),
        () => this.writeCall(updates, startedAt),
      );
      // Awaited by the webhooks that wait for it; never left unhandled meanwhile.
      call.catch(() => undefined);
      calls.set(owner, call);
    }
    return webhooks.map(async (webhook, r): Promise<PipelineResult | RefusedResult> => {
      const { admission } = webhook;
      if (admission.source?.kind === 'limited') return { refused: admission.source.quota };
      const retryAfters = await Promise.all([...(plan.waits.get(r) ?? [])].map((owner) => calls.get(owner) ?? Promise.resolve(undefined)));
      const results = webhook.signals.map(resultOf);
      const notStarted = webhook.signals.some((one) => !one.deferred && outcomeOf(one) === 'deferred');
      const retryAfterMs = Math.max(sharedRetryAfter ?? 0, ...retryAfters.map((ms) => ms ?? 0));
      return {
        results,
        ...(admission.source ? { source: admission.source } : {}),
        ...(admission.budget ? { creationBudget: admission.budget } : {}),
        ...(notStarted ? { writerBusy: { retryAfterMs } } : {}),
      };
    });
  }

  /**
   * The crd-writer's updates of a run, in order: one per signal, except those deferred, those of
   * a refused webhook, and a pod's resolution while its workload's other pods fire (it changes no
   * resource).
   */
  private updatesOf(webhooks: readonly RunWebhook[]): RunUpdate[] {
    return webhooks.flatMap((webhook) => {
      if (webhook.admission.source?.kind === 'limited') return [];
      const sender = webhook.request.sender ?? '';
      return webhook.signals
        .filter((one) => !one.deferred && one.decision.outcome !== Outcome.OUTCOME_POD_RESOLVED)
        .map((of) => ({ of, webhook: of.webhook, update: updateOf(of.signal, of.verdict, of.decision, sender) }));
    });
  }
}

/** The webhooks of a run, each with its signals' records (`run`, in the webhooks' order). */
function byWebhook(requests: readonly IngestRequest[], run: readonly RunSignal[]): RunWebhook[] {
  const webhooks: RunWebhook[] = [];
  let from = 0;
  for (const request of requests) {
    webhooks.push({ request, signals: run.slice(from, from + request.signals.length), admission: {} });
    from += request.signals.length;
  }
  return webhooks;
}

/** A webhook's new incidents, by namespace. */
function newByNamespace(signals: readonly RunSignal[]): Map<string, RunSignal[]> {
  const demand = new Map<string, RunSignal[]>();
  for (const one of signals) {
    if (one.decision.outcome !== Outcome.OUTCOME_NEW) continue;
    const list = demand.get(one.signal.namespace);
    if (list) list.push(one);
    else demand.set(one.signal.namespace, [one]);
  }
  return demand;
}

/**
 * What ratelimit said of a webhook, its new incidents `demand` (by namespace): those it defers
 * are marked so, with every later signal of the same incident in the webhook.
 */
function admissionOf(webhook: RunWebhook, result: AdmissionResult, demand: ReadonlyMap<string, readonly RunSignal[]>): Admission {
  const quota = result.quota;
  if (!quota) throw new AlertgateError(Code.Internal, 'ratelimit answered without a quota');
  if (!quota.admitted) {
    for (const list of demand.values()) for (const one of list) one.deferred = true;
    return { source: { kind: 'limited', quota } };
  }
  let budget: Admission['budget'];
  for (const grant of result.grants) {
    const over = (demand.get(grant.namespace) ?? []).slice(grant.granted);
    if (over.length === 0) continue;
    if (grant.quota) budget = { quota: grant.quota, namespace: grant.namespace };
    const ids = new Set(over.map(({ decision }) => decision.incident?.id));
    for (const one of webhook.signals) if (ids.has(one.decision.incident?.id)) one.deferred = true;
  }
  return { source: { kind: 'admitted', quota }, ...(budget ? { budget } : {}) };
}

/** How many signals of a run's webhooks had each outcome (for the run's span). */
function outcomeCounts(settled: readonly PromiseSettledResult<PipelineResult | RefusedResult>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outcome of settled) {
    if (outcome.status !== 'fulfilled' || 'refused' in outcome.value) continue;
    for (const result of outcome.value.results) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
  }
  return counts;
}

/** A signal's outcome: deferred by admission, or what the crd-writer did with it. */
function outcomeOf(one: RunSignal): SignalOutcome {
  if (one.deferred) return 'deferred';
  if (one.decision.outcome === Outcome.OUTCOME_POD_RESOLVED) return 'pod-resolved';
  return OUTCOME_OF_EFFECT[one.written?.effect ?? Effect.EFFECT_UNSPECIFIED] ?? 'unmatched';
}

/** A signal's answer, of one shape for every outcome (signal-shapes.ts). */
function resultOf(one: RunSignal): SignalResult {
  const outcome = outcomeOf(one);
  const resource = one.written?.resource;
  return {
    fingerprint: one.signal.fingerprint,
    outcome,
    occurrences: outcome === 'created' || outcome === 'duplicate' ? (one.decision.incident?.occurrences ?? 0) : undefined,
    remediationRequest: resource ? { namespace: resource.namespace, name: resource.name } : undefined,
    errors: outcome === 'rejected' ? [{ pointer: '', detail: one.written?.error ?? '' }] : undefined,
  };
}

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
