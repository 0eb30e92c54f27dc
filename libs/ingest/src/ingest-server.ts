import { AlertgateError, Code } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import { durationToMillis, type Duration, type Quota, type Signal } from '@alertgate/proto';
import {
  InvalidInputError,
  parseAlertmanagerWebhook,
  parseKubernetesEvent,
  retarget,
  type MatcherSelector,
  parseMatcherRules,
  type ParseOptions,
  type RejectedAlert,
} from '@alertgate/signal';
import { ATTR_HTTP_ROUTE, currentTraceparent } from '@alertgate/telemetry';
import { trace } from '@opentelemetry/api';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';

import { BodyRefusal, clientErrorAnswer, contentEncodingRefusal, utf8Checked } from './body-checks.js';
import { IngestMetrics } from './ingest-metrics.js';
import { BATCHER_DEFAULTS, PipelineBatcher, type PipelineBatcherOptions } from './pipeline-batcher.js';
import { overloaded } from './overload.js';
import { asWorkloadIncidents, type OwnerLookup } from './workload-incidents.js';
import { RefusalMemory } from './refusal-memory.js';
import { dropRulesReason, firstReason, settleIgnored, unmanagedReason, type IgnoredResult, type ManagedScope, type SettledSignal } from './ignored-signals.js';
import type { MaintenanceSchedule } from './maintenance-windows.js';
import type { IngestPipeline, SignalResult } from './ingest-pipeline.js';
import { problem, PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type Problem, type ProblemType } from './problem.js';
import type { Authenticator } from './sender-tokens.js';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

export interface IngestServerOptions {
  readonly pipeline: IngestPipeline;
  /** How concurrent webhooks share pipeline runs (defaults: BATCHER_DEFAULTS). */
  readonly batching?: PipelineBatcherOptions;
  readonly parse: ParseOptions;
  readonly bodyLimitBytes: number;
  /** Time for a whole request, body included, to arrive (a slow sender is answered 408). */
  readonly requestTimeoutMs: number;
  /** HTTPS with this certificate; setSecureContext on app.server takes a rotated one. Plain HTTP without. */
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
  /**
   * Overload: at most this many signal requests are read, parsed, queued or run at once; one
   * beyond is answered 503 at once, before its body is parsed (INGEST_SERVER_DEFAULTS).
   */
  readonly maxRequestsInFlight?: number;
  /** Who sent each request (SenderTokens), or NO_AUTHENTICATION (npm start only). */
  readonly authenticator: Authenticator;
  readonly retryAfterSeconds: number;
  readonly readiness: () => Promise<ReadinessReport>;
  readonly registry: Registry;
  readonly logger: Logger;
  /**
   * Top-level controller of an event's object (Pod → ReplicaSet → Deployment); when set, Warning
   * events are fingerprinted on it so all pods of a workload fold into one incident.
   */
  readonly resolveOwner?: OwnerLookup;
  /**
   * Top-level controller of an alert's pod (INCIDENT_IDENTITY=workload); when set, alerts about a
   * pod are incidents of its workload, and their pods are tracked per incident.
   */
  readonly resolvePodOwner?: OwnerLookup;
  /**
   * Signals matching one of these selectors are answered `ignored` before any state is written
   * (INGEST_SERVER_DEFAULTS: Watchdog, InfoInhibitor and severity "none").
   */
  readonly dropRules?: readonly MatcherSelector[];
  /** Signals in an open maintenance window are answered `ignored` too (none without it). */
  readonly maintenance?: MaintenanceSchedule;
  /** Opt-in: only signals in these namespaces get resources, the others are `ignored` (all without it). */
  readonly managed?: ManagedScope;
}

/**
 * Alertmanager's always-firing Watchdog and its InfoInhibitor exist to test the pipeline and to
 * inhibit info alerts; severity "none" is the kube-prometheus convention for alerts nobody acts on.
 */
export const DEFAULT_DROP_RULES = '{alertname=~"Watchdog|InfoInhibitor"}; {severity="none"}';

export const INGEST_SERVER_DEFAULTS = { maxRequestsInFlight: 256, dropRules: parseMatcherRules(DEFAULT_DROP_RULES) } as const;

const seconds = (duration: Duration | undefined): number => Math.max(0, Math.ceil((durationToMillis(duration) ?? 0) / 1000));

/** IETF draft RateLimit header fields (draft-ietf-httpapi-ratelimit-headers). */
function rateLimitHeaders(reply: FastifyReply, quota: Quota): void {
  const name = /^"([^"]+)"/.exec(quota.policy)?.[1] ?? 'default';
  void reply.header('RateLimit-Policy', quota.policy);
  void reply.header('RateLimit', `"${name}";r=${quota.remaining};t=${seconds(quota.resetAfter)}`);
}

/** An alert of the webhook that was refused alone (the others were processed). */
interface RejectedResult {
  readonly outcome: 'rejected';
  readonly errors: RejectedAlert['problems'];
}

type AlertResult = SignalResult | RejectedResult | IgnoredResult;

/**
 * The pipeline's results with the signals settled before it (rejected, ignored) put back at
 * their places: one per signal, in order. Problems are located by their alert's place.
 */
function withSettled(results: readonly SignalResult[], settled: readonly SettledSignal[], alertPointer: (index: number) => string): AlertResult[] {
  const located = (result: SignalResult, index: number): AlertResult =>
    result.outcome === 'rejected'
      ? { ...result, errors: (result.errors ?? []).map((error) => ({ pointer: `${alertPointer(index)}${error.pointer}`, detail: error.detail })) }
      : result;
  if (settled.length === 0) return results.some((result) => result.outcome === 'rejected') ? results.map(located) : (results as SignalResult[]);
  const merged: AlertResult[] = [];
  let next = 0;
  for (const signal of settled) {
    while (merged.length < signal.index && next < results.length) merged.push(located(results[next++] as SignalResult, merged.length));
    merged.push(signal.result);
  }
  while (next < results.length) merged.push(located(results[next++] as SignalResult, merged.length));
  return merged;
}

export const ROUTES = {
  alertmanager: '/api/v1/signals/alertmanager',
  kubernetesEvent: '/api/v1/signals/kubernetes-event',
} as const;

/** The routes that take signals (and do work): the ones overload admission counts. */
const SIGNAL_ROUTES: ReadonlySet<string> = new Set(Object.values(ROUTES));

/**
 * The routes served without a token: probes and metrics, which write nothing. Every other route
 * (all that write state) requires the token when authentication is on.
 */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (body.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(body.retryAfterSeconds));
  if (body.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="alertgate"');
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Fastify's own errors (body parsing and limits) mapped to problems. */
function frameworkProblem(err: { code?: string; statusCode?: number; message: string }, bodyLimit: number): Problem | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(PROBLEM_TYPES.tooLarge, `The body is larger than ${bodyLimit} bytes (INGEST_BODY_LIMIT).`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(PROBLEM_TYPES.unsupportedMediaType, 'Send the body as Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(PROBLEM_TYPES.malformedJson, 'The body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(PROBLEM_TYPES.malformedJson, err.message);
    default:
      if (err.statusCode === 400) return problem(PROBLEM_TYPES.malformedJson, err.message);
      if (err.statusCode === 415) return problem(PROBLEM_TYPES.unsupportedMediaType, 'Send the body as Content-Type: application/json.');
      if (err.statusCode === 413) return problem(PROBLEM_TYPES.tooLarge, err.message);
      return undefined;
  }
}

/**
 * The gateway's HTTP surface. Status codes follow what Alertmanager does with them (docs/design.md
 * §2): it drops a notification on any 4xx and retries on 5xx, so 4xx is reserved for
 * input that can never succeed and every transient failure is a 503 with Retry-After.
 */
export function createIngestServer(options: IngestServerOptions): FastifyInstance {
  const { logger } = options;
  const batcher = new PipelineBatcher(options.pipeline, options.batching ?? BATCHER_DEFAULTS);
  const metrics = new IngestMetrics(options.registry);
  // Node applies a request timeout only when the server is created with it (fastify sets it
  // later), and checks it on this interval (30 s by default, which would let a slow request
  // outlive its timeout by that much).
  const serverOptions = { requestTimeout: options.requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs) };
  // Typed as the HTTP server's instance either way: the routes and hooks are the same, and only
  // the app's start reaches for the HTTPS server (setSecureContext).
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    // Bodies are parsed into plain data only; a "__proto__" key is refused instead of kept.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    requestTimeout: options.requestTimeoutMs,
    ...(options.https ? { https: { ...serverOptions, cert: options.https.cert, key: options.https.key } } : { http: serverOptions }),
    // What Node's HTTP parser refuses (bad Content-Length, huge headers, a timeout) is a problem too.
    clientErrorHandler: clientErrorAnswer,
  }) as unknown as FastifyInstance;
  // Plain JSON only: no Content-Encoding, valid UTF-8 (checked as the body streams in).
  app.addHook('preParsing', async (request, _reply, payload) => {
    const refusal = contentEncodingRefusal(request.headers['content-encoding']);
    if (refusal) throw refusal;
    return utf8Checked(payload);
  });
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  const { authenticator } = options;
  /** Alertmanager drops a notification on 429 but retries 5xx: its endpoint answers 503. */
  const limitedStatus = (url: string | undefined): ProblemType =>
    url === ROUTES.alertmanager ? PROBLEM_TYPES.rateLimitedRetryable : PROBLEM_TYPES.tooManyRequests;
  const maxInFlight = options.maxRequestsInFlight ?? INGEST_SERVER_DEFAULTS.maxRequestsInFlight;
  const ignoreReason = firstReason([
    dropRulesReason(options.dropRules ?? INGEST_SERVER_DEFAULTS.dropRules),
    ...(options.managed ? [unmanagedReason(options.managed)] : []),
    ...(options.maintenance ? [options.maintenance.reason()] : []),
  ]);
  let inFlight = 0;
  /**
   * Overload admission, before the body is read: under a flood, reading and parsing bodies the
   * pipeline cannot run in time took the gateway's CPU, and the requests it admitted waited tens
   * of seconds (BENCHMARKS.md, overload). A shed request costs its headers only; Node discards
   * its body and keeps the connection.
   */
  const admit = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    if (inFlight >= maxInFlight) {
      const err = overloaded(
        'in_flight',
        `the gateway is overloaded: ${inFlight} requests are in flight (INGEST_MAX_REQUESTS_IN_FLIGHT ${maxInFlight}); nothing of this request was processed`,
      );
      return sendProblem(reply, problem(PROBLEM_TYPES.overloaded, err.message, { retryAfterSeconds: options.retryAfterSeconds }));
    }
    inFlight += 1;
    (request as FastifyRequest & { receivedAt?: number }).receivedAt = Date.now();
    reply.raw.once('close', () => (inFlight -= 1));
    return undefined;
  };
  app.addHook('onRequest', async (request, reply) => {
    (request as FastifyRequest & { startedAt?: bigint }).startedAt = process.hrtime.bigint();
    // The HTTP instrumentation cannot know fastify's routes: name the server span after the route.
    const route = request.routeOptions.url;
    if (route !== undefined) trace.getActiveSpan()?.setAttribute(ATTR_HTTP_ROUTE, route).updateName(`${request.method} ${route}`);
    // Decided by the route the router matched, never by the raw URL: the router decodes
    // percent-escapes and strips an absolute-form target's origin, so a prefix test on
    // request.url let "/%61pi/..." and "http://x/api/..." through. An unmatched request reaches
    // only the 404 handler.
    if (route === undefined || PUBLIC_ROUTES.has(route)) return undefined;
    if (authenticator.enabled) {
      const authentication = await authenticator.authenticate(request.headers.authorization);
      if (authentication.kind === 'refused')
        return sendProblem(reply, problem(PROBLEM_TYPES.unauthenticated, 'Send Authorization: Bearer <token> with a sender token of this gateway.'));
      if (authentication.kind === 'unavailable') {
        return sendProblem(
          reply,
          problem(PROBLEM_TYPES.unavailable, `The token cannot be verified now: ${authentication.detail}. Nothing of this request was processed.`, {
            retryAfterSeconds: options.retryAfterSeconds,
          }),
        );
      }
      (request as FastifyRequest & { sender?: string }).sender = authentication.sender;
    }
    return SIGNAL_ROUTES.has(route) ? admit(request, reply) : undefined;
  });

  // A stop (SIGTERM) finishes the requests in flight; their answers then close their connections,
  // since Node's close() ends only the connections idle when it is called, and a keep-alive
  // client would hold the rest open (and the process up) for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    const traceparent = currentTraceparent();
    if (traceparent) void reply.header('traceparent', traceparent);
    if (closing) void reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const startedAt = (request as FastifyRequest & { startedAt?: bigint }).startedAt;
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    if (startedAt !== undefined) metrics.duration.observe({ route, method: request.method }, Number(process.hrtime.bigint() - startedAt) / 1e9);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(PROBLEM_TYPES.notFound, `${request.method} ${request.url} is not an endpoint of alertgate.`)),
  );

  app.setErrorHandler((err, request, reply) => {
    const retryAfterSeconds = options.retryAfterSeconds;
    if (err instanceof BodyRefusal) return sendProblem(reply, err.problem);
    if (err instanceof InvalidInputError) {
      return sendProblem(reply, problem(err.tooLarge ? PROBLEM_TYPES.tooLarge : PROBLEM_TYPES.invalidInput, err.message, { errors: err.problems }));
    }
    if (err instanceof AlertgateError) {
      if (err.retryable && err.details['overloaded'] === 1) {
        // Counted by alertgate_ingest_shed_total; a log line per shed request would add to the load.
        return sendProblem(reply, problem(PROBLEM_TYPES.overloaded, err.message, { retryAfterSeconds }));
      }
      if (err.retryable) {
        logger.warn({ code: err.code, err: err.message, route: request.routeOptions.url }, 'transient failure; asking the sender to retry');
        return sendProblem(reply, problem(PROBLEM_TYPES.unavailable, err.message, { retryAfterSeconds }));
      }
      if (err.code === Code.InvalidArgument) return sendProblem(reply, problem(PROBLEM_TYPES.invalidInput, err.message));
      // Anything else (RBAC, a bug) is answered 500 so Alertmanager keeps retrying while an
      // operator fixes it: nothing is dropped for a reason that is not the alert's fault.
      logger.error({ code: err.code, err: err.message }, 'request failed');
      return sendProblem(reply, problem(PROBLEM_TYPES.internal, err.message));
    }
    const framework = frameworkProblem(err as { code?: string; statusCode?: number; message: string }, options.bodyLimitBytes);
    if (framework) return sendProblem(reply, framework);
    logger.error({ err }, 'unhandled error');
    return sendProblem(reply, problem(PROBLEM_TYPES.internal, 'Unexpected error; see the gateway log.'));
  });

  /**
   * The per-source request limit is taken in the pipeline's one ratelimit call (after the body
   * parsed and validated: input that can never succeed touches no Redis, and only requests that
   * would do work count). A refused source is remembered here until its retry-after has passed,
   * so that a sender that keeps flooding costs no service call at all meanwhile.
   */
  const refusals = new RefusalMemory();
  const refuse = (reply: FastifyReply, source: string, quota: Quota, retryAfterMs: number): FastifyReply => {
    rateLimitHeaders(reply, quota);
    metrics.rateLimit.inc({ limit: 'source', decision: 'limited' });
    const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return sendProblem(
      reply,
      problem(limitedStatus(reply.request.routeOptions.url), `Source ${source} is over its request limit (${quota.policy}); retry in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
      }),
    );
  };

  /** The JSON pointer of a request's signal: an alert of a webhook, or the event itself. */
  const pointerOfSignal = { alertmanager: (index: number) => `/alerts/${index}`, 'kubernetes-event': () => '' } as const;
  const countOutcomes = (route: keyof typeof pointerOfSignal, results: readonly AlertResult[]): void => {
    const outcomes = new Map<string, number>();
    for (const result of results) outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
    for (const [outcome, count] of outcomes) metrics.signals.inc({ source: route, outcome }, count);
  };
  const respond = async (
    route: keyof typeof pointerOfSignal,
    parsed: readonly Signal[],
    reply: FastifyReply,
    rejected: readonly RejectedAlert[] = [],
  ): Promise<{ results: AlertResult[] } | FastifyReply> => {
    const { kept: signals, settled } = settleIgnored(parsed, rejected, ignoreReason);
    if (signals.length === 0) {
      // Every signal was ignored (a drop rule, a maintenance window) or rejected: nothing to write, nothing to limit.
      const results = withSettled([], settled, pointerOfSignal[route]);
      countOutcomes(route, results);
      return { results };
    }
    // The identity limits count against: the sender's name, or without authentication the
    // client address.
    const sender = (reply.request as FastifyRequest & { sender?: string }).sender;
    const source = sender !== undefined ? `s:${sender}` : `a:${reply.request.ip}`;
    const remembered = refusals.get(source);
    if (remembered) return refuse(reply, source, remembered.quota, remembered.retryAfterMs);
    metrics.batchSize.observe({ source: route }, signals.length);
    // Body bytes bound how many webhooks share a run; a chunked body without a length is estimated.
    const bytes = Number(reply.request.headers['content-length']) || signals.length * 1024;
    const receivedAt = (reply.request as FastifyRequest & { receivedAt?: number }).receivedAt;
    const outcome = await batcher.submit(signals, source, bytes, receivedAt, sender);
    if ('refused' in outcome) {
      const retryAfterMs = durationToMillis(outcome.refused.retryAfter) ?? 1000;
      refusals.remember(source, outcome.refused, retryAfterMs, receivedAt);
      return refuse(reply, source, outcome.refused, retryAfterMs);
    }
    const { creationBudget, writerBusy } = outcome;
    const results = withSettled(outcome.results, settled, pointerOfSignal[route]);
    if (outcome.source) {
      metrics.rateLimit.inc({ limit: 'source', decision: outcome.source.kind });
      if (outcome.source.kind === 'admitted') rateLimitHeaders(reply, outcome.source.quota);
    }
    countOutcomes(route, results);
    if (!creationBudget && !writerBusy) return { results };
    // Some new incidents were deferred: not started (dedup forgot them) or still being written at
    // the deadline (dedup kept them). The sender retries them and they are completed then.
    // Everything else of the request was processed.
    const deferred = results.filter((result) => result.outcome === 'deferred').length;
    if (writerBusy) {
      // The crd-writer could not start their creates in time: 503 at once, whatever the route.
      const retryAfterSeconds = Math.max(1, Math.ceil(writerBusy.retryAfterMs / 1000), creationBudget ? seconds(creationBudget.quota.retryAfter) : 0);
      return sendProblem(
        reply,
        problem(
          PROBLEM_TYPES.unavailable,
          `${deferred} new incident(s) could not be written in time: the crd-writer is at its Kubernetes create rate (KUBE_CREATE_QPS), or it or the API server is slow. They were deferred; retry in ${retryAfterSeconds} s. The rest of the request was processed.`,
          { retryAfterSeconds, results },
        ),
      );
    }
    if (!creationBudget) return { results };
    metrics.rateLimit.inc({ limit: 'namespace', decision: 'limited' });
    rateLimitHeaders(reply, creationBudget.quota);
    const retryAfterSeconds = Math.max(1, seconds(creationBudget.quota.retryAfter));
    return sendProblem(
      reply,
      problem(
        limitedStatus(reply.request.routeOptions.url),
        `${deferred} new incident(s) in namespace ${creationBudget.namespace} are over its creation budget (${creationBudget.quota.policy}) and were deferred; retry in ${retryAfterSeconds} s. The rest of the request was processed.`,
        { retryAfterSeconds, results },
      ),
    );
  };

  app.post(ROUTES.alertmanager, async (request, reply) => {
    const { signals, rejected } = parseAlertmanagerWebhook(request.body, options.parse);
    if (rejected.length > 0) {
      logger.warn(
        { rejected: rejected.length, alerts: signals.length + rejected.length, first: rejected[0]?.problems[0] },
        'invalid alerts rejected; the valid ones of the webhook are processed',
      );
    }
    // Before the opt-in is asked: a managed workload's alerts are managed in any namespace.
    const targeted = options.resolvePodOwner ? await asWorkloadIncidents(signals, options.resolvePodOwner, options.parse.fingerprint.namespaceLabel) : signals;
    return respond('alertmanager', targeted, reply, rejected);
  });

  app.post(ROUTES.kubernetesEvent, async (request, reply) => {
    const parsed = parseKubernetesEvent(request.body, options.parse);
    if (parsed.kind === 'ignored') {
      metrics.signals.inc({ source: 'kubernetes-event', outcome: 'ignored' });
      return { results: [{ outcome: 'ignored', reason: parsed.reason }] };
    }
    const { involved } = parsed;
    const signal = options.resolveOwner
      ? retarget(parsed.signal, await options.resolveOwner(involved), { namespace: involved.namespace, pod: involved.kind === 'Pod' ? involved.name : '' })
      : parsed.signal;
    return respond('kubernetes-event', [signal], reply);
  });

  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await options.readiness();
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
  app.get('/metrics', async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));

  return app;
}
