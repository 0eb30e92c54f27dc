import {
  Action,
  Status,
  type Decision,
  Effect,
  Outcome,
  type AdmitRequest,
  type AdmitResponse,
  type ApplyBatchRequest,
  type ApplyBatchResponse,
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
} from '@alertgate/proto';
import { AlertgateError, Code } from '@alertgate/errors';
import { ATTR_OUTCOME_PREFIX, ATTR_SIGNAL_COUNT, withSpan } from '@alertgate/telemetry';

/** The services the gateway calls, as ports (the app binds them to gRPC clients). */
export interface DedupPort {
  checkBatch(request: CheckBatchRequest): Promise<CheckBatchResponse>;
  forgetBatch(request: ForgetBatchRequest): Promise<ForgetBatchResponse>;
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
  applyBatch(request: ApplyBatchRequest): Promise<ApplyBatchResponse>;
}

export type SignalOutcome = 'created' | 'duplicate' | 'resolved' | 'unmatched' | 'deferred' | 'storm';

export interface SignalResult {
  readonly fingerprint: string;
  readonly outcome: SignalOutcome;
  readonly occurrences?: number;
  readonly remediationRequest?: { readonly namespace: string; readonly name: string };
}

/** What the request limit said of the sender (absent without a rate limit service). */
export type SourceDecision = { readonly kind: 'admitted' | 'limited'; readonly quota: Quota } | { readonly kind: 'unavailable' };

export interface PipelineResult {
  readonly results: SignalResult[];
  readonly source?: SourceDecision;
  /** Set when a namespace's creation budget deferred some new incidents to the sender's retry. */
  readonly creationBudget?: { readonly quota: Quota; readonly namespace: string };
}

/** The sender's request was over its limit: nothing of it was kept (new incidents forgotten). */
export interface RefusedResult {
  readonly refused: Quota;
}

/**
 * Alert → incident → resource, for a whole webhook with one call per service, each one Redis
 * round trip however many alerts it carries (issue 8), in this order:
 * 1. storm evaluates every firing signal (storm on for its key → "fold if new");
 * 2. dedup decides per signal: new, duplicate, resolved, unmatched, or folded (a storm's signal
 *    with no open incident: recorded nowhere, so folding needs no second call to undo it);
 * 3. ratelimit admits the sender's request and, in the same script, takes the creation budget of
 *    the new incidents per namespace;
 * 4. crd-writer makes sure every open incident has its resource (creating it when absent; a
 *    create is idempotent), folds storm members into their aggregate, records resolutions.
 * Only the exceptional paths take a second dedup call: new incidents of a refused request or
 * over a namespace's budget are forgotten again, so that the sender's retry opens them.
 * A failure in any step fails the request with a retryable error. The retry is safe: dedup
 * counts the retried delivery as a duplicate, and crd-writer creates a resource that the failed
 * attempt did not get to write, under the same deterministic name. Occurrences therefore count
 * deliveries, retries included (docs/operations.md).
 */
export class IngestPipeline {
  constructor(
    private readonly dedup: DedupPort,
    private readonly crdWriter: CrdWriterPort,
    private readonly rateLimit?: RateLimitPort,
    private readonly storm?: StormPort,
  ) {}

  /** Storm service: which firing signals belong to a storm that is on ("fold if new"). */
  private async evaluateStorms(signals: readonly Signal[]): Promise<Verdict[]> {
    if (!this.storm) return [];
    const { verdicts } = await this.storm.evaluateBatch({
      inputs: signals.map((signal) => ({ signal, newIncident: signal.status === Status.STATUS_FIRING })),
    });
    if (verdicts.length !== signals.length) throw new AlertgateError(Code.Internal, 'storm answered a different number of verdicts');
    return verdicts;
  }

  /**
   * The sender's request limit and the namespace creation budget, in one ratelimit call. Returns
   * the new incidents to defer: all of them when the request is refused; those beyond a
   * namespace's budget otherwise (the sender's retry — 503 to Alertmanager, which retries and
   * otherwise resends at its next group_interval — opens them once the budget allows).
   * Duplicates cost no creation and are never deferred.
   */
  private async admit(source: string, signals: readonly Signal[], decisions: readonly Decision[]): Promise<{ source?: SourceDecision; deferred: Set<number>; budget?: PipelineResult['creationBudget'] }> {
    const deferred = new Set<number>();
    if (!this.rateLimit) return { deferred };
    const demand = new Map<string, number[]>();
    decisions.forEach((decision, i) => {
      if (decision.outcome !== Outcome.OUTCOME_NEW) return;
      const namespace = signals[i]?.namespace ?? '';
      demand.set(namespace, [...(demand.get(namespace) ?? []), i]);
    });
    let response: AdmitResponse;
    try {
      response = await this.rateLimit.admit({ source, demands: [...demand].map(([namespace, list]) => ({ namespace, count: list.length })) });
    } catch (err) {
      if (!this.rateLimit.failOpen) throw err;
      return { source: { kind: 'unavailable' }, deferred };
    }
    const quota = response.quota;
    if (!quota) throw new AlertgateError(Code.Internal, 'ratelimit answered without a quota');
    if (!quota.admitted) {
      for (const list of demand.values()) for (const i of list) deferred.add(i);
      return { source: { kind: 'limited', quota }, deferred };
    }
    let budget: PipelineResult['creationBudget'];
    for (const grant of response.grants) {
      const over = (demand.get(grant.namespace) ?? []).slice(grant.granted);
      if (over.length === 0) continue;
      if (grant.quota) budget = { quota: grant.quota, namespace: grant.namespace };
      for (const i of over) {
        const id = decisions[i]?.incident?.id;
        // Later signals of the same incident in this batch are deferred with it.
        decisions.forEach((other, j) => {
          if (other.incident?.id === id) deferred.add(j);
        });
      }
    }
    return { source: { kind: 'admitted', quota }, deferred, ...(budget ? { budget } : {}) };
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
    return withSpan('alertgate.ingest', { [ATTR_SIGNAL_COUNT]: signals.length }, async (span) => {
      const verdicts = await this.evaluateStorms(signals);
      const { decisions } = await this.dedup.checkBatch({ signals: [...signals], foldIfNew: verdicts.map((verdict) => verdict.folded) });
      if (decisions.length !== signals.length) throw new AlertgateError(Code.Internal, 'dedup answered a different number of decisions');
      const { source: sourceDecision, deferred, budget } = await this.admit(source, signals, decisions);
      if (deferred.size > 0) await this.forget([...deferred], decisions);
      if (sourceDecision?.kind === 'limited') return { refused: sourceDecision.quota };
      const kept = signals.map((_signal, i) => i).filter((i) => !deferred.has(i));
      const updates: IncidentUpdate[] = kept.map((i) => {
        const signal = signals[i] as Signal;
        const verdict = verdicts[i];
        const decision = decisions[i];
        if (decision?.outcome === Outcome.OUTCOME_FOLDED) {
          if (!verdict?.storm) throw new AlertgateError(Code.Internal, `dedup folded signal ${i}, which storm did not put in a storm`);
          return { action: Action.ACTION_FOLD, signal, incidentId: '', occurrences: 0, storm: verdict.storm };
        }
        const incident = decision?.incident;
        const open = decision?.outcome === Outcome.OUTCOME_NEW || decision?.outcome === Outcome.OUTCOME_DUPLICATE;
        return {
          action: open ? Action.ACTION_OPEN : Action.ACTION_RESOLVE,
          signal,
          incidentId: incident?.id ?? '',
          ...(incident?.firstSeen ? { firstSeen: incident.firstSeen } : {}),
          ...(incident?.lastSeen ? { lastSeen: incident.lastSeen } : {}),
          occurrences: incident?.occurrences ?? 0,
        };
      });
      const { results: written } = updates.length > 0 ? await this.crdWriter.applyBatch({ updates }) : { results: [] };
      if (written.length !== updates.length) throw new AlertgateError(Code.Internal, 'crd-writer answered a different number of results');
      const results = new Map(kept.map((i, k) => [i, written[k]]));
      const out = signals.map((signal, i): SignalResult => {
        if (deferred.has(i)) return { fingerprint: signal.fingerprint, outcome: 'deferred' };
        const result = results.get(i);
        const decision = decisions[i];
        const ref = result?.resource ? { namespace: result.resource.namespace, name: result.resource.name } : undefined;
        let outcome: SignalOutcome;
        switch (result?.effect) {
          case Effect.EFFECT_CREATED:
            outcome = 'created';
            break;
          case Effect.EFFECT_UPDATED:
            // The resource existed: a repeat, even when Redis had forgotten the incident.
            outcome = 'duplicate';
            break;
          case Effect.EFFECT_RESOLVED:
            outcome = 'resolved';
            break;
          case Effect.EFFECT_FOLDED:
            outcome = 'storm';
            break;
          default:
            outcome = 'unmatched';
        }
        return {
          fingerprint: signal.fingerprint,
          outcome,
          ...(outcome === 'created' || outcome === 'duplicate' ? { occurrences: decision?.incident?.occurrences ?? 0 } : {}),
          ...(ref ? { remediationRequest: ref } : {}),
        };
      });
      const counts = new Map<string, number>();
      for (const result of out) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
      for (const [outcome, count] of counts) span.setAttribute(`${ATTR_OUTCOME_PREFIX}${outcome}`, count);
      return { results: out, ...(sourceDecision ? { source: sourceDecision } : {}), ...(budget ? { creationBudget: budget } : {}) };
    });
  }
}
