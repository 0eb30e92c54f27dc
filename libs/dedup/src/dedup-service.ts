import { AlertgateError, Code } from '@alertgate/errors';
import { defineService, unary, type GrpcService } from '@alertgate/grpc-kit';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import {
  DedupServiceService,
  fromMillis,
  MAX_ITEMS_PER_CALL,
  Outcome,
  Status,
  type AdoptRequest,
  type AdoptResponse,
  type CheckBatchRequest,
  type CheckBatchResponse,
  type DedupServiceServer,
  type ForgetBatchRequest,
  type ForgetBatchResponse,
  type ForgetRequest,
  type ForgetResponse,
} from '@alertgate/proto';

import type { DedupOutcome, DedupStore } from './dedup-store.js';

export const DEDUP_SERVICE_NAME = 'alertgate.dedup.v1.DedupService';

const decisionsTotal = counter({
  name: 'alertgate_dedup_decisions_total',
  help: 'Dedup window decisions: new incidents, duplicates, resolutions, resolutions of one pod of a workload incident, unmatched resolutions.',
  labelNames: ['outcome'],
});
const OUTCOME_TO_PROTO: Readonly<Record<DedupOutcome, Outcome>> = {
  new: Outcome.OUTCOME_NEW,
  duplicate: Outcome.OUTCOME_DUPLICATE,
  resolved: Outcome.OUTCOME_RESOLVED,
  unmatched: Outcome.OUTCOME_UNMATCHED,
  folded: Outcome.OUTCOME_FOLDED,
  'pod-resolved': Outcome.OUTCOME_POD_RESOLVED,
};
/** A Kubernetes object name's limit (RFC 1123 subdomain): a pod's name is never longer. */
const POD_NAME_MAX = 253;

export function createDedupService(store: DedupStore, logger: Logger): GrpcService {
  const implementation: DedupServiceServer = {
    checkBatch: unary<CheckBatchRequest, CheckBatchResponse>('CheckBatch', logger, async (request) => {
      if (request.signals.length > MAX_ITEMS_PER_CALL) {
        throw new AlertgateError(Code.InvalidArgument, `at most ${MAX_ITEMS_PER_CALL} signals per call, got ${request.signals.length}`);
      }
      if (request.foldIfNew.length > request.signals.length) {
        throw new AlertgateError(Code.InvalidArgument, `fold_if_new has ${request.foldIfNew.length} entries for ${request.signals.length} signals`, {
          details: { field: 'fold_if_new' },
        });
      }
      const queries = request.signals.map((signal, index) => {
        if (signal.status !== Status.STATUS_FIRING && signal.status !== Status.STATUS_RESOLVED) {
          throw new AlertgateError(Code.InvalidArgument, `signals[${index}].status must be STATUS_FIRING or STATUS_RESOLVED`, {
            details: { field: `signals[${index}].status` },
          });
        }
        if (signal.pod.length > POD_NAME_MAX) {
          throw new AlertgateError(Code.InvalidArgument, `signals[${index}].pod is longer than ${POD_NAME_MAX} characters`, {
            details: { field: `signals[${index}].pod` },
          });
        }
        const resolved = signal.status === Status.STATUS_RESOLVED;
        return { fingerprint: signal.fingerprint, resolved, foldIfNew: !resolved && request.foldIfNew[index] === true, pod: signal.pod };
      });
      const decisions = await store.checkBatch(queries);
      // Counted per outcome, not per decision: a labelled increment costs a label lookup.
      const counts = new Map<string, number>();
      for (const decision of decisions) counts.set(decision.outcome, (counts.get(decision.outcome) ?? 0) + 1);
      for (const [outcome, count] of counts) decisionsTotal.inc({ outcome }, count);
      return {
        // One shape per decision (no conditional spread): this runs for every alert.
        decisions: decisions.map((decision) => ({
          fingerprint: decision.fingerprint,
          outcome: OUTCOME_TO_PROTO[decision.outcome],
          incident:
            decision.incident === undefined
              ? undefined
              : {
                  id: decision.incident.id,
                  firstSeen: fromMillis(decision.incident.firstSeenMs),
                  lastSeen: fromMillis(decision.incident.lastSeenMs),
                  occurrences: decision.incident.occurrences,
                  pods: decision.incident.pods,
                },
        })),
      };
    }),
    forget: unary<ForgetRequest, ForgetResponse>('Forget', logger, async (request) => ({
      forgotten: await store.forget(request.fingerprint, request.incidentId),
    })),
    forgetBatch: unary<ForgetBatchRequest, ForgetBatchResponse>('ForgetBatch', logger, async (request) => {
      if (request.incidents.length > MAX_ITEMS_PER_CALL) throw new AlertgateError(Code.InvalidArgument, `at most ${MAX_ITEMS_PER_CALL} incidents per call`);
      return { forgotten: await store.forgetBatch(request.incidents) };
    }),
    adopt: unary<AdoptRequest, AdoptResponse>('Adopt', logger, async (request) => {
      const incident = await store.adopt(request.fingerprint, request.incidentId, request.occurrences);
      return {
        incident: {
          id: incident.id,
          firstSeen: fromMillis(incident.firstSeenMs),
          lastSeen: fromMillis(incident.lastSeenMs),
          occurrences: incident.occurrences,
          pods: incident.pods,
        },
      };
    }),
  };
  return defineService(DEDUP_SERVICE_NAME, DedupServiceService, implementation);
}
