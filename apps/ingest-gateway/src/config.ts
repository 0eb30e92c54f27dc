/**
 * The ingest gateway's configuration: the only reader of process.env in this app. Every variable,
 * its default and its meaning are listed in docs/operations.md.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { ConfigError, EnvReader, readCommonConfig, type CommonConfig, type Env } from '@alertgate/config';
import {
  BATCHER_DEFAULTS,
  DEFAULT_DROP_RULES,
  INGEST_SERVER_DEFAULTS,
  MaintenanceWindowsError,
  parseMaintenanceWindows,
  type IngestAuth,
  type PipelineBatcherOptions,
  type TokenSource,
} from '@alertgate/ingest';
import { labelSelectorProblem, type KubernetesAccess } from '@alertgate/kube';
import {
  FINGERPRINT_DEFAULTS,
  FRESHNESS_DEFAULTS,
  MatcherSyntaxError,
  NAMESPACE_NAME_PATTERN,
  PARSE_DEFAULTS,
  parseMatcherRules,
  SIGNAL_LIMIT_DEFAULTS,
  SPEC_MAX_LENGTH,
  SPEC_MAX_PROPERTIES,
  type MatcherSelector,
  type ParseOptions,
} from '@alertgate/signal';

export interface GatewayConfig extends CommonConfig {
  readonly port: number;
  /** HTTPS on the listener: a directory with tls.crt and tls.key (INGEST_TLS_DIR), read again on change. */
  readonly tls: { readonly dir: string; readonly reloadIntervalMs: number } | undefined;
  readonly dedupAddress: string;
  readonly crdWriterAddress: string;
  readonly dedupDeadlineMs: number;
  readonly crdWriterDeadlineMs: number;
  readonly auth: IngestAuth;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  /** Overload: signal requests in flight at once; one beyond is answered 503 before its body is parsed. */
  readonly maxRequestsInFlight: number;
  readonly retryAfterSeconds: number;
  readonly parse: ParseOptions;
  /** Signals matching one of these are answered `ignored`, and nothing is written for them. */
  readonly dropRules: readonly MatcherSelector[];
  /** The maintenance windows file and how often it is read again; undefined: no windows. */
  readonly maintenance: { readonly file: string; readonly reloadIntervalMs: number } | undefined;
  readonly batching: PipelineBatcherOptions;
  /** Opt-in: only namespaces matching this label selector get resources (needs Kubernetes access). */
  readonly managedNamespaces: { readonly selector: string; readonly access: KubernetesAccess } | undefined;
  /** Opt-in: also the workloads matching this label selector (their alerts' pods resolved to them), whatever their namespace. */
  readonly managedWorkloads: { readonly selector: string; readonly access: KubernetesAccess } | undefined;
  /** Resolve Warning events' objects to their top-level controller (needs Kubernetes access). */
  readonly ownerResolution: KubernetesAccess | undefined;
  /**
   * INCIDENT_IDENTITY=workload with Kubernetes reachable: alerts about a pod are incidents of its
   * top-level controller. Undefined: one incident per pod.
   */
  readonly workloadIncidents: KubernetesAccess | undefined;
  /** OWNER_INDEX: owners of pods, ReplicaSets and Jobs kept from a watch of each, instead of read per object. */
  readonly ownerIndex: boolean;
  /** The built-in watch of the cluster's Warning events (EVENT_WATCH), one gateway replica at a time. */
  readonly eventWatch:
    | {
        readonly access: KubernetesAccess;
        /** Where the checkpoint ConfigMap and the Lease live. */
        readonly namespace: string;
        readonly checkpointName: string;
        readonly checkpointIntervalMs: number;
        readonly lease: { readonly name: string; readonly identity: string; readonly leaseDurationMs: number; readonly retryPeriodMs: number };
      }
    | undefined;
  /** ServiceAccount tokens checked by TokenReview (INGEST_TOKEN_REVIEW), beside the senders' own tokens. */
  readonly tokenReview:
    | { readonly access: KubernetesAccess; readonly audience: string; readonly cacheTtlMs: number; readonly maxEntries: number; readonly timeoutMs: number }
    | undefined;
  /** The storm service; undefined when storm folding is off (STORM=off). */
  readonly storm: { readonly address: string; readonly deadlineMs: number } | undefined;
  /** The ratelimit service; undefined when rate limiting is off (RATELIMIT=off). */
  readonly rateLimit: { readonly address: string; readonly deadlineMs: number; readonly failOpen: boolean } | undefined;
}

const DEFAULT_PORT = 8080;

/** DROP_RULES: selectors in Alertmanager's matcher syntax; `none` drops nothing (unset or empty is the default). */
function readDropRules(reader: EnvReader): MatcherSelector[] {
  const text = reader.optional('DROP_RULES') ?? DEFAULT_DROP_RULES;
  if (text === 'none') return [];
  try {
    return parseMatcherRules(text);
  } catch (err) {
    if (err instanceof MatcherSyntaxError) throw new ConfigError('DROP_RULES', err.message);
    throw err;
  }
}

/** MAINTENANCE_WINDOWS_FILE: checked whole at start-up, so that a bad file stops the gateway, named. */
function readMaintenance(reader: EnvReader): GatewayConfig['maintenance'] {
  const reloadIntervalMs = reader.durationMs('MAINTENANCE_RELOAD_INTERVAL', 10_000, { min: 100, max: 3_600_000 });
  const file = reader.optional('MAINTENANCE_WINDOWS_FILE');
  if (file === undefined) return undefined;
  try {
    parseMaintenanceWindows(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof MaintenanceWindowsError) throw new ConfigError('MAINTENANCE_WINDOWS_FILE', `${file}: ${err.message}`);
    throw new ConfigError('MAINTENANCE_WINDOWS_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
  return { file, reloadIntervalMs };
}

/**
 * Where the senders' tokens come from: a directory of one file per sender (a Secret's keys), a
 * YAML mapping, one token file, or one token in the environment. The files are reloaded; a token
 * that goes stays valid for INGEST_TOKEN_GRACE.
 */
function readAuth(reader: EnvReader): IngestAuth {
  const mode = reader.oneOf('INGEST_AUTH', ['token', 'disabled'], 'token');
  if (mode === 'disabled') return { mode };
  const given = (['INGEST_TOKENS_DIR', 'INGEST_TOKENS_FILE', 'INGEST_TOKEN_FILE', 'INGEST_TOKEN'] as const).filter(
    (name) => reader.optional(name) !== undefined,
  );
  if (given.length > 1) throw new ConfigError(given[1] ?? 'INGEST_TOKEN', `set one of ${given.join(', ')}, not several`);
  const reloadIntervalMs = reader.durationMs('INGEST_TOKENS_RELOAD_INTERVAL', 10_000, { min: 100, max: 3_600_000 });
  const graceMs = reader.durationMs('INGEST_TOKEN_GRACE', 3_600_000, { min: 0, max: 7 * 86_400_000 });
  const sender = reader.string('INGEST_TOKEN_SENDER', 'default');
  // ServiceAccount tokens alone (TokenReview) need no token of alertgate's own.
  const source = given[0] === undefined && reader.bool('INGEST_TOKEN_REVIEW', false) ? undefined : tokenSource(reader, given[0], sender);
  return { mode, source, reloadIntervalMs, graceMs };
}

function tokenSource(reader: EnvReader, variable: string | undefined, sender: string): TokenSource {
  switch (variable) {
    case 'INGEST_TOKENS_DIR':
      return { kind: 'directory', path: reader.required(variable) };
    case 'INGEST_TOKENS_FILE':
      return { kind: 'mapping', path: reader.required(variable) };
    case 'INGEST_TOKEN_FILE':
      return { kind: 'file', path: reader.required(variable), sender };
    case 'INGEST_TOKEN':
      return { kind: 'fixed', tokens: { [sender]: reader.required(variable) } };
    default:
      throw new ConfigError(
        'INGEST_TOKENS_DIR',
        'no ingest token configured: set INGEST_TOKENS_DIR (or INGEST_TOKENS_FILE, INGEST_TOKEN_FILE, INGEST_TOKEN), or INGEST_TOKEN_REVIEW=on for ServiceAccount tokens, or INGEST_AUTH=disabled to run without authentication',
      );
  }
}

function readListenerTls(reader: EnvReader): GatewayConfig['tls'] {
  const dir = reader.optional('INGEST_TLS_DIR');
  if (dir === undefined || dir === '') return undefined;
  return { dir, reloadIntervalMs: reader.durationMs('INGEST_TLS_RELOAD_INTERVAL', 10_000, { min: 100, max: 3_600_000 }) };
}

function readEventWatch(reader: EnvReader): GatewayConfig['eventWatch'] {
  if (!reader.bool('EVENT_WATCH', false)) return undefined;
  const access = kubernetesAccess(reader);
  if (access === undefined) throw new ConfigError('EVENT_WATCH', 'is on, but neither KUBECONFIG is set nor is this running in a pod');
  const namespace = reader.string('EVENT_WATCH_NAMESPACE', reader.string('POD_NAMESPACE', 'alertgate'));
  if (!NAMESPACE_NAME_PATTERN.test(namespace)) throw new ConfigError('EVENT_WATCH_NAMESPACE', `"${namespace}" is not a valid namespace name`);
  const leaseDurationMs = reader.durationMs('EVENT_WATCH_LEASE_DURATION', 15_000, { min: 1_000, max: 300_000 });
  return {
    access,
    namespace,
    checkpointName: reader.string('EVENT_WATCH_CHECKPOINT', 'alertgate-event-watch'),
    checkpointIntervalMs: reader.durationMs('EVENT_WATCH_CHECKPOINT_INTERVAL', 5_000, { min: 100, max: 600_000 }),
    lease: {
      name: reader.string('EVENT_WATCH_LEASE', 'alertgate-event-watch'),
      identity: reader.string('POD_NAME', `${hostname()}-${process.pid}`),
      leaseDurationMs,
      retryPeriodMs: Math.max(100, Math.floor(leaseDurationMs / 7)),
    },
  };
}

function readTokenReview(reader: EnvReader): GatewayConfig['tokenReview'] {
  if (!reader.bool('INGEST_TOKEN_REVIEW', false)) return undefined;
  const access = kubernetesAccess(reader);
  if (access === undefined) throw new ConfigError('INGEST_TOKEN_REVIEW', 'is on, but neither KUBECONFIG is set nor is this running in a pod');
  return {
    access,
    audience: reader.string('INGEST_TOKEN_AUDIENCE', 'alertgate'),
    cacheTtlMs: reader.durationMs('INGEST_TOKEN_REVIEW_CACHE_TTL', 60_000, { min: 0, max: 3_600_000 }),
    maxEntries: reader.int('INGEST_TOKEN_REVIEW_CACHE_SIZE', 10_000, { min: 1, max: 1_000_000 }),
    timeoutMs: reader.durationMs('INGEST_TOKEN_REVIEW_TIMEOUT', 2_000, { min: 100, max: 60_000 }),
  };
}

function readOwnerResolution(reader: EnvReader): KubernetesAccess | undefined {
  const mode = reader.oneOf('EVENT_OWNER_RESOLUTION', ['auto', 'on', 'off'], 'auto');
  if (mode === 'off') return undefined;
  const access = kubernetesAccess(reader);
  if (access === undefined && mode === 'on')
    throw new ConfigError('EVENT_OWNER_RESOLUTION', 'is on, but neither KUBECONFIG is set nor is this running in a pod');
  return access;
}

/** The API server this process can reach: its kubeconfig, or in a pod its ServiceAccount. */
function kubernetesAccess(reader: EnvReader): KubernetesAccess | undefined {
  const kubeconfig = reader.optional('KUBECONFIG');
  if (kubeconfig !== undefined) return { kubeconfigPath: kubeconfig };
  return reader.optional('KUBERNETES_SERVICE_HOST') !== undefined ? { inCluster: true } : undefined;
}

/** MANAGED_NAMESPACE_SELECTOR or MANAGED_WORKLOAD_SELECTOR: unset, it manages nothing (both unset: everything gets resources). */
function readManagedSelector(
  reader: EnvReader,
  variable: 'MANAGED_NAMESPACE_SELECTOR' | 'MANAGED_WORKLOAD_SELECTOR',
  what: string,
): { readonly selector: string; readonly access: KubernetesAccess } | undefined {
  const selector = reader.optional(variable);
  if (selector === undefined) return undefined;
  const problem = labelSelectorProblem(selector);
  if (problem !== undefined) throw new ConfigError(variable, problem);
  const access = kubernetesAccess(reader);
  if (access === undefined)
    throw new ConfigError(variable, `is set, but neither KUBECONFIG is set nor is this running in a pod: the ${what} are read from the API`);
  return { selector, access };
}

export function loadConfig(env: Env): GatewayConfig {
  const reader = new EnvReader(env);
  const fallbackNamespace = reader.string('DEFAULT_NAMESPACE', PARSE_DEFAULTS.fallbackNamespace);
  if (!NAMESPACE_NAME_PATTERN.test(fallbackNamespace)) throw new ConfigError('DEFAULT_NAMESPACE', `"${fallbackNamespace}" is not a valid namespace name`);
  return {
    ...readCommonConfig(reader),
    port: reader.int('INGEST_PORT', DEFAULT_PORT, { min: 0, max: 65535 }),
    tls: readListenerTls(reader),
    dedupAddress: reader.grpcTarget('DEDUP_ADDR', '127.0.0.1:50051'),
    crdWriterAddress: reader.grpcTarget('CRD_WRITER_ADDR', '127.0.0.1:50054'),
    dedupDeadlineMs: reader.durationMs('DEDUP_DEADLINE', 2_000, { min: 10 }),
    crdWriterDeadlineMs: reader.durationMs('CRD_WRITER_DEADLINE', 10_000, { min: 10 }),
    auth: readAuth(reader),
    bodyLimitBytes: reader.bytes('INGEST_BODY_LIMIT', 4 * 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    requestTimeoutMs: reader.durationMs('INGEST_REQUEST_TIMEOUT', 30_000, { min: 1_000, max: 600_000 }),
    maxRequestsInFlight: reader.int('INGEST_MAX_REQUESTS_IN_FLIGHT', INGEST_SERVER_DEFAULTS.maxRequestsInFlight, { min: 1, max: 100_000 }),
    retryAfterSeconds: reader.int('RETRY_AFTER_SECONDS', 5, { min: 1, max: 3600 }),
    ownerResolution: readOwnerResolution(reader),
    ownerIndex: reader.oneOf('OWNER_INDEX', ['on', 'off'], 'on') === 'on',
    workloadIncidents: reader.oneOf('INCIDENT_IDENTITY', ['workload', 'pod'], 'workload') === 'workload' ? kubernetesAccess(reader) : undefined,
    tokenReview: readTokenReview(reader),
    eventWatch: readEventWatch(reader),
    managedNamespaces: readManagedSelector(reader, 'MANAGED_NAMESPACE_SELECTOR', 'namespaces'),
    managedWorkloads: readManagedSelector(reader, 'MANAGED_WORKLOAD_SELECTOR', 'workloads'),
    storm:
      reader.oneOf('STORM', ['on', 'off'], 'on') === 'off'
        ? undefined
        : { address: reader.grpcTarget('STORM_ADDR', '127.0.0.1:50052'), deadlineMs: reader.durationMs('STORM_DEADLINE', 2_000, { min: 10 }) },
    rateLimit:
      reader.oneOf('RATELIMIT', ['on', 'off'], 'on') === 'off'
        ? undefined
        : {
            address: reader.grpcTarget('RATELIMIT_ADDR', '127.0.0.1:50053'),
            deadlineMs: reader.durationMs('RATELIMIT_DEADLINE', 500, { min: 10 }),
            // Fail open: when the limiter (or its Redis) is down the pipeline's own dependencies
            // decide (dedup answers 503 if Redis is gone); refusing alerts because only the
            // limiter is down would lose more than it protects.
            failOpen: reader.oneOf('RATELIMIT_FAIL_MODE', ['open', 'closed'], 'open') === 'open',
          },
    // Group commit of concurrent webhooks (libs/ingest PipelineBatcher): runs in flight at once,
    // the signals waiting before a run overlaps one in flight, the most signals one run takes,
    // and the overload bounds: signals waiting at most, and how long one may wait.
    batching: {
      maxInFlight: reader.int('INGEST_BATCH_IN_FLIGHT', BATCHER_DEFAULTS.maxInFlight, { min: 1, max: 64 }),
      maxSignals: reader.int('INGEST_BATCH_MAX_SIGNALS', BATCHER_DEFAULTS.maxSignals, { min: 1, max: 10_000 }),
      overlapSignals: reader.int('INGEST_BATCH_OVERLAP_SIGNALS', BATCHER_DEFAULTS.overlapSignals, { min: 1, max: 10_000 }),
      maxBytes: BATCHER_DEFAULTS.maxBytes,
      maxQueuedSignals: reader.int('INGEST_QUEUE_MAX_SIGNALS', BATCHER_DEFAULTS.maxQueuedSignals, { min: 1, max: 1_000_000 }),
      maxWaitMs: reader.durationMs('INGEST_QUEUE_TIMEOUT', BATCHER_DEFAULTS.maxWaitMs, { min: 100, max: 600_000 }),
    },
    dropRules: readDropRules(reader),
    maintenance: readMaintenance(reader),
    parse: {
      fallbackNamespace,
      limits: {
        maxAlerts: reader.int('INGEST_MAX_ALERTS', SIGNAL_LIMIT_DEFAULTS.maxAlerts, { min: 1, max: 10_000 }),
        // At most what the RemediationRequest schema stores: a larger limit would admit alerts the
        // API server refuses.
        maxLabels: reader.int('INGEST_MAX_LABELS', SIGNAL_LIMIT_DEFAULTS.maxLabels, { min: 1, max: SPEC_MAX_PROPERTIES.labels }),
        maxLabelNameBytes: SIGNAL_LIMIT_DEFAULTS.maxLabelNameBytes,
        maxLabelValueBytes: reader.bytes('INGEST_MAX_LABEL_VALUE', SIGNAL_LIMIT_DEFAULTS.maxLabelValueBytes, { min: 64, max: SPEC_MAX_LENGTH.labelValue }),
        maxAnnotationValueBytes: reader.bytes('INGEST_MAX_ANNOTATION_VALUE', SIGNAL_LIMIT_DEFAULTS.maxAnnotationValueBytes, {
          min: 64,
          max: SPEC_MAX_LENGTH.annotationValue,
        }),
      },
      freshness: {
        maxFutureSkewMs: reader.durationMs('ALERT_MAX_FUTURE_SKEW', FRESHNESS_DEFAULTS.maxFutureSkewMs, { min: 1_000, max: 7 * 24 * 3_600_000 }),
        maxEventAgeMs: reader.durationMs('EVENT_MAX_AGE', FRESHNESS_DEFAULTS.maxEventAgeMs, { min: 1_000, max: 30 * 24 * 3_600_000 }),
      },
      fingerprint: {
        targetLabels: reader.list('TARGET_LABELS', FINGERPRINT_DEFAULTS.targetLabels),
        namespaceLabel: reader.string('NAMESPACE_LABEL', FINGERPRINT_DEFAULTS.namespaceLabel),
        clusterLabel: reader.string('CLUSTER_LABEL', FINGERPRINT_DEFAULTS.clusterLabel),
      },
    },
  };
}
