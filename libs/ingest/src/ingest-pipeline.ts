import {
  Action,
  Status,
  type Decision,
  Effect,
  Outcome,
  type ApplyBatchRequest,
  type ApplyBatchResponse,
  type CheckBatchRequest,
  type CheckBatchResponse,
  type ForgetBatchRequest,
  type ForgetBatchResponse,
  type Quota,
  type EvaluateBatchRequest,
  type EvaluateBatchResponse,
  type ReserveCreationsRequest,
  type Verdict,
  type ReserveCreationsResponse,
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
  reserveCreations(request: ReserveCreationsRequest): Promise<ReserveCreationsResponse>;
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

export interface PipelineResult {
  readonly results: SignalResult[];
  /** Set when a namespace's creation budget deferred some new incidents to the sender's retry. */
  readonly creationBudget?: { readonly quota: Quota; readonly namespace: string };
}

/**
 * Alert → incident → resource, for a whole webhook in two calls (one per service, however many
 * alerts it carries):
 * 1. dedup decides per signal: new, duplicate, resolved or unmatched (one Redis script).
 * 2. crd-writer makes sure every open incident has its resource (creating it when absent; a
 *    create is idempotent) and records occurrences and resolutions.
 * A failure in either step fails the request with a retryable error. The retry is safe: dedup
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

  /**
   * Storms (storm service): new incidents of a key whose storm is on fold into its aggregate
   * instead of getting a resource each. Dedup forgets them again, so that every later alert of
   * such a member is counted on the aggregate for as long as the storm lasts (and opens an
   * individual incident after it).
   */
  /**
   * Asks storm about every firing signal as if it were new, so that this call runs alongside
   * dedup's instead of after it (one hop less per webhook); `fold` then folds only the signals
   * dedup found new.
   */
  private async evaluateStorms(signals: readonly Signal[]): Promise<Verdict[]> {
    if (!this.storm) return [];
    const { verdicts } = await this.storm.evaluateBatch({
      inputs: signals.map((signal) => ({ signal, newIncident: signal.status === Status.STATUS_FIRING })),
    });
    if (verdicts.length !== signals.length) throw new AlertgateError(Code.Internal, 'storm answered a different number of verdicts');
    return verdicts;
  }

  private async fold(verdicts: readonly Verdict[], decisions: readonly Decision[]): Promise<Set<number>> {
    const folded = new Set<number>();
    verdicts.forEach((verdict, i) => {
      if (verdict.folded && decisions[i]?.outcome === Outcome.OUTCOME_NEW) folded.add(i);
    });
    // Repeats of a folded new incident later in the same webhook fold with it (dedup counted
    // them as duplicates of the incident it is about to forget).
    const foldedIds = new Set([...folded].map((i) => decisions[i]?.incident?.id).filter((id): id is string => id !== undefined));
    decisions.forEach((decision, j) => {
      if (!folded.has(j) && decision.incident && foldedIds.has(decision.incident.id) && verdicts[j]?.storm) folded.add(j);
    });
    await this.forget([...folded], decisions);
    return folded;
  }

  /**
   * The namespace creation budget (ratelimit service): new incidents beyond it are deferred —
   * forgotten by dedup again and left out of this request, so that the sender's retry (503 to
   * Alertmanager, which retries and otherwise resends at its next group_interval) opens them
   * once the budget allows. Duplicates cost no creation and are never deferred.
   */
  private async defer(signals: readonly Signal[], decisions: readonly Decision[], skip: ReadonlySet<number>): Promise<{ deferred: Set<number>; budget?: PipelineResult['creationBudget'] }> {
    const deferred = new Set<number>();
    if (!this.rateLimit) return { deferred };
    const demand = new Map<string, number[]>();
    decisions.forEach((decision, i) => {
      if (decision.outcome !== Outcome.OUTCOME_NEW || skip.has(i)) return;
      const namespace = signals[i]?.namespace ?? '';
      demand.set(namespace, [...(demand.get(namespace) ?? []), i]);
    });
    if (demand.size === 0) return { deferred };
    const { grants } = await this.rateLimit.reserveCreations({ demands: [...demand].map(([namespace, list]) => ({ namespace, count: list.length })) });
    let budget: PipelineResult['creationBudget'];
    for (const grant of grants) {
      const news = demand.get(grant.namespace) ?? [];
      const over = news.slice(grant.granted);
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
    await this.forget([...deferred], decisions);
    return budget ? { deferred, budget } : { deferred };
  }

  /** Dedup forgets the new incidents among these signals again, in one call. */
  private async forget(indexes: readonly number[], decisions: readonly Decision[]): Promise<void> {
    const incidents = indexes
      .filter((i) => decisions[i]?.outcome === Outcome.OUTCOME_NEW)
      .map((i) => ({ fingerprint: decisions[i]?.fingerprint ?? '', incidentId: decisions[i]?.incident?.id ?? '' }));
    if (incidents.length > 0) await this.dedup.forgetBatch({ incidents });
  }

  async process(signals: readonly Signal[]): Promise<PipelineResult> {
    return withSpan('alertgate.ingest', { [ATTR_SIGNAL_COUNT]: signals.length }, async (span) => {
      const [{ decisions }, verdicts] = await Promise.all([this.dedup.checkBatch({ signals: [...signals] }), this.evaluateStorms(signals)]);
      if (decisions.length !== signals.length) throw new AlertgateError(Code.Internal, 'dedup answered a different number of decisions');
      const folded = await this.fold(verdicts, decisions);
      const { deferred, budget } = await this.defer(signals, decisions, folded);
      const kept = signals.map((_signal, i) => i).filter((i) => !deferred.has(i));
      const updates: IncidentUpdate[] = kept.map((i) => {
        const signal = signals[i] as Signal;
        const verdict = verdicts[i];
        if (folded.has(i) && verdict?.storm) {
          return { action: Action.ACTION_FOLD, signal, incidentId: '', occurrences: 0, storm: verdict.storm };
        }
        const decision = decisions[i];
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
      return budget ? { results: out, creationBudget: budget } : { results: out };
    });
  }
}
