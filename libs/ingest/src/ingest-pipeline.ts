import {
  Action,
  Effect,
  Outcome,
  type ApplyBatchRequest,
  type ApplyBatchResponse,
  type CheckBatchRequest,
  type CheckBatchResponse,
  type IncidentUpdate,
  type Signal,
} from '@alertgate/proto';
import { AlertgateError, Code } from '@alertgate/errors';
import { ATTR_OUTCOME_PREFIX, ATTR_SIGNAL_COUNT, withSpan } from '@alertgate/telemetry';

/** The services the gateway calls, as ports (the app binds them to gRPC clients). */
export interface DedupPort {
  checkBatch(request: CheckBatchRequest): Promise<CheckBatchResponse>;
}
export interface CrdWriterPort {
  applyBatch(request: ApplyBatchRequest): Promise<ApplyBatchResponse>;
}

export type SignalOutcome = 'created' | 'duplicate' | 'resolved' | 'unmatched';

export interface SignalResult {
  readonly fingerprint: string;
  readonly outcome: SignalOutcome;
  readonly occurrences?: number;
  readonly remediationRequest?: { readonly namespace: string; readonly name: string };
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
  ) {}

  async process(signals: readonly Signal[]): Promise<SignalResult[]> {
    return withSpan('alertgate.ingest', { [ATTR_SIGNAL_COUNT]: signals.length }, async (span) => {
      const { decisions } = await this.dedup.checkBatch({ signals: [...signals] });
      if (decisions.length !== signals.length) throw new AlertgateError(Code.Internal, 'dedup answered a different number of decisions');
      const updates: IncidentUpdate[] = signals.map((signal, i) => {
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
      const { results } = await this.crdWriter.applyBatch({ updates });
      if (results.length !== signals.length) throw new AlertgateError(Code.Internal, 'crd-writer answered a different number of results');
      const out = signals.map((signal, i): SignalResult => {
        const result = results[i];
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
      return out;
    });
  }
}
