import { AlertgateError, Code } from '@alertgate/errors';
import { defineService, unary, type GrpcService } from '@alertgate/grpc-kit';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import {
  Action,
  CrdWriterServiceService,
  Effect,
  MAX_ITEMS_PER_CALL,
  StormType,
  fromMillis,
  toMillis,
  type ApplyBatchRequest,
  type ApplyBatchResponse,
  type ApplyResult,
  type CrdWriterServiceServer,
  type IncidentUpdate,
  type Signal,
} from '@alertgate/proto';
import { FINGERPRINT_PATTERN, INCIDENT_ID_PATTERN, NAMESPACE_NAME_PATTERN, OBJECT_NAME_PATTERN } from '@alertgate/signal';
import { trace } from '@opentelemetry/api';

import { isNotStarted } from './create-limiter.js';
import type { RemediationSink } from './remediation-sink.js';

/** The dedup window, as the crd-writer needs it: to adopt what Kubernetes knows better. */
export interface DedupLink {
  adopt(fingerprint: string, incidentId: string, occurrences: number): Promise<void>;
}

export const CRD_WRITER_SERVICE_NAME = 'alertgate.crdwriter.v1.CrdWriterService';
/** Distinct resources written at once per batch; bounds the load one webhook puts on the API server. */
const CONCURRENCY = 8;

/** A sender of the gateway's own tokens (a DNS label), or a ServiceAccount TokenReview authenticated. */
const SENDER = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?|system:serviceaccount:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?:[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)$/;

function invalid(index: number, field: string, detail: string): AlertgateError {
  return new AlertgateError(Code.InvalidArgument, `updates[${index}].${field} ${detail}`, { details: { field: `updates[${index}].${field}` } });
}

function validate(update: IncidentUpdate, index: number): Signal {
  const { signal } = update;
  if (update.action !== Action.ACTION_OPEN && update.action !== Action.ACTION_RESOLVE && update.action !== Action.ACTION_FOLD) {
    throw invalid(index, 'action', 'must be ACTION_OPEN, ACTION_RESOLVE or ACTION_FOLD');
  }
  if (!signal) throw invalid(index, 'signal', 'is required');
  if (!FINGERPRINT_PATTERN.test(signal.fingerprint)) throw invalid(index, 'signal.fingerprint', 'must be 64 lower-case hex digits');
  if (signal.alertname === '') throw invalid(index, 'signal.alertname', 'is required');
  if (!NAMESPACE_NAME_PATTERN.test(signal.namespace)) throw invalid(index, 'signal.namespace', `"${signal.namespace}" is not a valid Kubernetes namespace`);
  if (signal.pod !== '' && !OBJECT_NAME_PATTERN.test(signal.pod)) throw invalid(index, 'signal.pod', 'must be empty or a pod name (an RFC 1123 subdomain)');
  if (update.incidentId !== '' && !INCIDENT_ID_PATTERN.test(update.incidentId))
    throw invalid(index, 'incident_id', 'is not an incident id from the dedup service');
  if (update.action === Action.ACTION_FOLD) {
    const storm = update.storm;
    if (!storm?.aggregate || !NAMESPACE_NAME_PATTERN.test(storm.aggregate.namespace) || !/^[a-z0-9][-a-z0-9.]{0,251}$/.test(storm.aggregate.name))
      throw invalid(index, 'storm.aggregate', 'is required for ACTION_FOLD and must name a valid resource');
    if (!FINGERPRINT_PATTERN.test(storm.keyFingerprint)) throw invalid(index, 'storm.key_fingerprint', 'must be 64 lower-case hex digits');
    if (!storm.windowStart) throw invalid(index, 'storm.window_start', 'is required');
    if (!storm.endsAt) throw invalid(index, 'storm.ends_at', 'is required');
    if (storm.keyLabels.length === 0) throw invalid(index, 'storm.key_labels', 'is required (the labels STORM_KEY_LABELS names)');
  }
  if (update.sender !== '' && !SENDER.test(update.sender))
    throw invalid(index, 'sender', 'must be empty, a DNS label (a sender name of the gateway) or system:serviceaccount:<namespace>:<name>');
  if (update.signalTrimmed && update.action !== Action.ACTION_OPEN) throw invalid(index, 'signal_trimmed', 'is only for ACTION_OPEN');
  if (update.action === Action.ACTION_OPEN) {
    if (update.incidentId === '') throw invalid(index, 'incident_id', 'is required for ACTION_OPEN');
    if (!update.firstSeen || !update.lastSeen) throw invalid(index, 'first_seen', 'and last_seen are required for ACTION_OPEN');
    if (update.occurrences < 1) throw invalid(index, 'occurrences', 'must be at least 1 for ACTION_OPEN');
  }
  return signal;
}

async function applyOne(
  sink: RemediationSink,
  update: IncidentUpdate,
  signal: Signal,
  dedup: DedupLink | undefined,
  deadlineAt: number | undefined,
): Promise<ApplyResult> {
  if (update.action === Action.ACTION_FOLD && update.storm?.aggregate) {
    const { storm } = update;
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    const result = await sink.fold(
      {
        signal,
        storm: {
          key: storm.key,
          keyFingerprint: storm.keyFingerprint,
          keyLabels: storm.keyLabels,
          type: storm.type === StormType.STORM_TYPE_PATTERN ? 'pattern' : 'rate',
          startMs: toMillis(storm.windowStart) ?? 0,
          endsAtMs: toMillis(storm.endsAt) ?? 0,
          memberCount: storm.memberCount,
          occurrences: storm.occurrences,
          resolved: storm.resolved,
          overflow: storm.overflow,
          aggregate: { namespace: storm.aggregate?.namespace ?? signal.namespace, name: storm.aggregate?.name ?? '' },
        },
        traceId,
      },
      { deadlineAt },
    );
    return { effect: Effect.EFFECT_FOLDED, resource: result.ref, error: '' };
  }
  if (update.action === Action.ACTION_OPEN) {
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    const result = await sink.open(
      {
        signal,
        incidentId: update.incidentId,
        firstSeenMs: toMillis(update.firstSeen) ?? 0,
        lastSeenMs: toMillis(update.lastSeen) ?? 0,
        occurrences: update.occurrences,
        traceId,
        sender: update.sender,
        pods: update.pods,
      },
      { mayCreate: !update.signalTrimmed, deadlineAt },
    );
    if (result.signalRequired) return { effect: Effect.EFFECT_SIGNAL_REQUIRED, resource: undefined, error: '' };
    if (result.adopted) await dedup?.adopt(signal.fingerprint, result.adopted.incidentId, result.adopted.occurrences);
    return {
      effect: result.created ? Effect.EFFECT_CREATED : result.reopened ? Effect.EFFECT_REOPENED : Effect.EFFECT_UPDATED,
      resource: result.ref,
      error: '',
    };
  }
  const resolvedAtMs = toMillis(signal.endsAt) ?? toMillis(update.lastSeen) ?? Date.now();
  const result = await sink.resolve({
    signal,
    incidentId: update.incidentId,
    resolvedAtMs,
    occurrences: update.occurrences,
    lastSeenMs: toMillis(update.lastSeen),
  });
  return result.ref ? { effect: Effect.EFFECT_RESOLVED, resource: result.ref, error: '' } : { effect: Effect.EFFECT_NOT_FOUND, resource: undefined, error: '' };
}

/**
 * When the caller stops waiting. No update is started after it: each is answered
 * EFFECT_NOT_STARTED, so that the answer reaches the caller in time, says exactly what was done,
 * and the caller sends the rest again instead of failing work that was completed.
 */
export interface WorkDeadline {
  passed(): boolean;
  /** When (Date.now() ms); undefined: never. */
  readonly at: number | undefined;
}

const NO_DEADLINE: WorkDeadline = { passed: () => false, at: undefined };

/**
 * The part of a call's time kept for its answer to reach the caller: a fifth of it, at least
 * 250 ms and at most 2 s. The server's deadline counts from when it reads the call, and on a
 * saturated machine both event loops lag (the call is read late; the answer is read after the
 * caller's deadline timer has fired), by hundreds of milliseconds.
 */
export function answerMarginMs(timeLeftMs: number): number {
  return Math.min(2_000, Math.max(250, timeLeftMs / 5));
}

/** The deadline of a gRPC call, less the answer's margin (none when the caller set none). */
export function callDeadline(deadline: Date | number, now: number = Date.now()): WorkDeadline {
  const callAt = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(callAt)) return NO_DEADLINE;
  const at = callAt - answerMarginMs(callAt - now);
  return { passed: () => Date.now() >= at, at };
}

const NOT_STARTED: ApplyResult = { effect: Effect.EFFECT_NOT_STARTED, resource: undefined, error: '' };

/** An update that can never succeed as sent: answered alone, the others of the call still applied. */
function rejected(err: AlertgateError): ApplyResult {
  return { effect: Effect.EFFECT_REJECTED, resource: undefined, error: err.message };
}

/**
 * Applies a webhook's incident updates (the gateway merges concurrent webhooks into one call).
 * Updates of one incident run in order; different incidents run concurrently (bounded). An
 * update that can never succeed (invalid, or refused by the API server) is answered
 * EFFECT_REJECTED alone, so that it fails no other webhook of the call; those not started by the
 * caller's deadline are answered EFFECT_NOT_STARTED (see WorkDeadline). Any retryable failure
 * fails the call, and the gateway answers 503: everything already applied is idempotent, so the
 * sender's retry completes the rest without duplicates.
 */
export async function applyBatch(
  sink: RemediationSink,
  updates: readonly IncidentUpdate[],
  dedup?: DedupLink,
  deadline: WorkDeadline = NO_DEADLINE,
): Promise<AppliedBatch> {
  const results: ApplyResult[] = new Array<ApplyResult>(updates.length);
  let retryAfterMs: number | undefined;
  const signals: (Signal | undefined)[] = updates.map((update, i) => {
    try {
      return validate(update, i);
    } catch (err) {
      results[i] = rejected(AlertgateError.from(err));
      return undefined;
    }
  });
  const groups = new Map<string, number[]>();
  updates.forEach((update, i) => {
    const signal = signals[i];
    if (!signal) return;
    // Updates of one incident, or of one storm's aggregate, run in order.
    const aggregate = update.action === Action.ACTION_FOLD ? update.storm?.aggregate : undefined;
    const key = aggregate ? `storm:${aggregate.namespace}/${aggregate.name}` : `${signal.namespace}/${signal.fingerprint}`;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const started = new Set<number>();
  const applyAt = async (i: number): Promise<void> => {
    const update = updates[i];
    const signal = signals[i];
    if (!update || !signal) return;
    // Once passed, it stays passed: an incident's later updates are not started either (order).
    if (deadline.passed()) {
      results[i] ??= NOT_STARTED;
      return;
    }
    started.add(i);
    try {
      results[i] = await applyOne(sink, update, signal, dedup, deadline.at);
    } catch (err) {
      const error = AlertgateError.from(err);
      if (isNotStarted(error)) {
        // The create rate cannot take it in time: answered now, the sender retries it later.
        results[i] = NOT_STARTED;
        createsNotStarted.inc();
        retryAfterMs = Math.max(retryAfterMs ?? 0, Number(error.details['retryAfterMs'] ?? 0));
        return;
      }
      if (error.code !== Code.InvalidArgument) throw error;
      results[i] = rejected(error);
    }
  };
  const run = async (queue: number[][]): Promise<void> => {
    const worker = async (): Promise<void> => {
      for (let group = queue.shift(); group; group = queue.shift()) for (const i of group) await applyAt(i);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  };
  // Individual incidents first, folds after: an aggregate created by this batch then finds, and
  // links, the incidents the same webhook opened just before its storm was detected.
  const all = [...groups.values()];
  const isFold = (group: number[]): boolean => updates[group[0] ?? -1]?.action === Action.ACTION_FOLD;
  const work = (async () => {
    await run(all.filter((group) => !isFold(group)));
    await run(all.filter(isFold));
  })();
  if (!(await finishedBy(work, deadline.at))) {
    // The answer goes now, before the caller's deadline; what is still running goes on. Its
    // outcome is not known yet: in progress, never "not started" (a create may still land).
    work.catch(() => undefined);
    updates.forEach((_update, i) => (results[i] ??= started.has(i) ? IN_PROGRESS : NOT_STARTED));
    updatesInProgress.inc(updates.filter((_update, i) => results[i] === IN_PROGRESS).length);
    return { results: [...results], retryAfterMs: Math.max(retryAfterMs ?? 0, IN_PROGRESS_RETRY_AFTER_MS) };
  }
  return { results, retryAfterMs };
}

/** When to try again updates that were still running at the deadline. */
const IN_PROGRESS_RETRY_AFTER_MS = 5_000;
const IN_PROGRESS: ApplyResult = { effect: Effect.EFFECT_IN_PROGRESS, resource: undefined, error: '' };

/** Whether `work` settled by `at` (Date.now() ms; never past when undefined); its failure is thrown. */
async function finishedBy(work: Promise<void>, at: number | undefined): Promise<boolean> {
  if (at === undefined) {
    await work;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, at - Date.now()))));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

const updatesInProgress = counter({
  name: 'alertgate_crd_writer_updates_in_progress_at_deadline_total',
  help: 'Updates still running when a call had to be answered (its deadline): answered EFFECT_IN_PROGRESS; the sender retries them.',
});

/** What applyBatch did: one result per update, and when to retry the creates not started. */
export interface AppliedBatch {
  readonly results: ApplyResult[];
  /** Set when the create rate left some updates EFFECT_NOT_STARTED. */
  readonly retryAfterMs: number | undefined;
}

const createsNotStarted = counter({
  name: 'alertgate_kube_creates_not_started_total',
  help: 'Updates answered EFFECT_NOT_STARTED because the Kubernetes create rate or concurrency (KUBE_CREATE_QPS, KUBE_CREATE_BURST, KUBE_CREATE_CONCURRENCY) could not take their create before the deadline.',
});

const AUDITED: Partial<Record<Effect, string>> = {
  [Effect.EFFECT_CREATED]: 'created',
  [Effect.EFFECT_REOPENED]: 'reopened',
  [Effect.EFFECT_RESOLVED]: 'resolved',
};

/**
 * One audit line per resource created, reopened or resolved: who sent it (the gateway's sender
 * name), which incident, which resource, and the trace to follow it by.
 */
function audit(logger: Logger, updates: readonly IncidentUpdate[], results: readonly ApplyResult[]): void {
  const traceId = trace.getActiveSpan()?.spanContext().traceId;
  results.forEach((result, i) => {
    const change = AUDITED[result.effect];
    const update = updates[i];
    if (!change || !update || !result.resource) return;
    logger.info(
      {
        audit: change,
        sender: update.sender || undefined,
        fingerprint: update.signal?.fingerprint,
        incidentId: update.incidentId || undefined,
        resource: `${result.resource.namespace}/${result.resource.name}`,
        traceId,
      },
      `audit: RemediationRequest ${change}`,
    );
  });
}

export function createCrdWriterService(sink: RemediationSink, logger: Logger, dedup?: DedupLink): GrpcService {
  const implementation: CrdWriterServiceServer = {
    applyBatch: unary<ApplyBatchRequest, ApplyBatchResponse>('ApplyBatch', logger, async (request, call) => {
      if (request.updates.length > MAX_ITEMS_PER_CALL) {
        throw new AlertgateError(Code.InvalidArgument, `at most ${MAX_ITEMS_PER_CALL} updates per call, got ${request.updates.length}`);
      }
      const { results, retryAfterMs } = await applyBatch(sink, request.updates, dedup, callDeadline(call.getDeadline()));
      audit(logger, request.updates, results);
      return { results, retryAfter: retryAfterMs === undefined ? undefined : fromMillis(retryAfterMs) };
    }),
  };
  return defineService(CRD_WRITER_SERVICE_NAME, CrdWriterServiceService, implementation);
}
