/**
 * The crd-writer's configuration: the only reader of process.env in this app. Every variable,
 * its default and its meaning are listed in docs/operations.md.
 */
import { hostname } from 'node:os';

import { ConfigError, EnvReader, readCommonConfig, type CommonConfig, type Env } from '@alertgate/config';
import type { KubernetesAccess } from '@alertgate/kube';
import { CREATE_LIMITER_DEFAULTS, STATUS_WRITES_IN_FLIGHT_DEFAULT, type CreateLimiterOptions } from '@alertgate/remediation';
import { DEFAULT_DEDUP_WINDOW_MS, NAMESPACE_NAME_PATTERN } from '@alertgate/signal';

type SinkConfig =
  | { readonly kind: 'file'; readonly directory: string }
  | { readonly kind: 'kubernetes'; readonly access: KubernetesAccess; readonly creates: CreateLimiterOptions; readonly statusWritesInFlight: number }
  /** Writes nothing: benchmarks only. */
  | { readonly kind: 'null' };

export interface CrdWriterConfig extends CommonConfig {
  readonly port: number;
  /** Prometheus /metrics, on a port of its own. */
  readonly metricsPort: number;
  readonly sink: SinkConfig;
  /** The dedup service, told when Kubernetes knows an incident better (adopt, forget). */
  readonly dedupAddress: string;
  readonly dedupDeadlineMs: number;
  /** Where resources go when the alert's namespace does not exist. */
  readonly fallbackNamespace: string;
  /** This installation's name when several share a cluster (INSTANCE): a label on its resources and on what it watches. */
  readonly instance: string | undefined;
  readonly statusFlushMs: number;
  /** An open incident's repeats: at most one status write per resource per this interval. */
  readonly statusRepeatMs: number;
  /** The dedup service's window (the same DEDUP_WINDOW): what the crd-writer may still adopt. */
  readonly dedupWindowMs: number;
  /** Flap damping: a resolved incident firing again within this reopens its resource (0 = never). */
  readonly flapHoldMs: number;
  /** A Warning event's incident not seen for this long is resolved (0 = never). */
  readonly eventQuietMs: number;
  /** Firings for this long after a remediation completed are counted on it, not a new incident (0 = never). */
  readonly completedCooldownMs: number;
  /** How often aggregates of storms that are over are resolved (0 = never). */
  readonly stormEndIntervalMs: number;
  /** The Lease that elects the one replica doing single-actor work (the storm-end sweep), with the kubernetes sink. */
  readonly leaderLease: {
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
    readonly leaseDurationMs: number;
    readonly retryPeriodMs: number;
  };
}

const DEFAULT_PORT = 50054;

/**
 * Five minutes: a few of Prometheus' evaluation intervals and one of Alertmanager's group
 * intervals (1m and 5m by default), so that an alert that resolves and fires again within them
 * stays one incident, and one that stayed resolved for longer comes back as a new one.
 */
const DEFAULT_FLAP_HOLD_MS = 5 * 60_000;

/**
 * Thirty minutes: a Warning event repeats while its cause lasts (the kubelet's crash-loop
 * back-off, for one, tops out at 5 minutes), and an event exporter forwards each repeat; half an
 * hour without one means the cause is gone. Kept under the API server's event TTL (1h).
 */
const DEFAULT_EVENT_QUIET_MS = 30 * 60_000;
/**
 * STATUS_REPEAT_INTERVAL's default, in flush intervals (10 s at the default 2 s): a repeating
 * alert's counts on its resource lag by seconds, and each open incident costs the API server one
 * write per interval instead of one per flush.
 */
const STATUS_REPEATS_PER_FLUSH = 5;

/**
 * Five minutes: an alert lags its fix by a few of Prometheus' evaluation intervals (1m by
 * default) and its `for:` duration, and a new incident opened meanwhile would have the
 * controller act again on a problem it has just fixed.
 */
const DEFAULT_COMPLETED_COOLDOWN_MS = 5 * 60_000;

/** The creates' client-side rate and concurrency (docs/operations.md): client-go's QPS and burst, for creates. */
function readCreateLimits(reader: EnvReader): CreateLimiterOptions {
  return {
    qps: reader.int('KUBE_CREATE_QPS', CREATE_LIMITER_DEFAULTS.qps, { min: 1, max: 100_000 }),
    burst: reader.int('KUBE_CREATE_BURST', CREATE_LIMITER_DEFAULTS.burst, { min: 1, max: 100_000 }),
    concurrency: reader.int('KUBE_CREATE_CONCURRENCY', CREATE_LIMITER_DEFAULTS.concurrency, { min: 1, max: 1_000 }),
  };
}
/** Coalesced status writes in flight at once (StatusCoalescer's maxWritesInFlight). */
function readStatusWrites(reader: EnvReader): number {
  return reader.int('KUBE_STATUS_WRITE_CONCURRENCY', STATUS_WRITES_IN_FLIGHT_DEFAULT, { min: 1, max: 1_000 });
}

/** The leader Lease: in the pod's own namespace (POD_NAMESPACE), held under its name (POD_NAME); client-go's timings. */
function readLeaderLease(reader: EnvReader): CrdWriterConfig['leaderLease'] {
  const namespace = reader.string('LEADER_LEASE_NAMESPACE', reader.string('POD_NAMESPACE', 'alertgate'));
  if (!NAMESPACE_NAME_PATTERN.test(namespace)) throw new ConfigError('LEADER_LEASE_NAMESPACE', `"${namespace}" is not a valid namespace name`);
  const leaseDurationMs = reader.durationMs('LEADER_LEASE_DURATION', 15_000, { min: 1_000, max: 300_000 });
  const retryPeriodMs = reader.durationMs('LEADER_RETRY_PERIOD', 2_000, { min: 100, max: 60_000 });
  if (retryPeriodMs >= leaseDurationMs) throw new ConfigError('LEADER_RETRY_PERIOD', 'must be shorter than LEADER_LEASE_DURATION');
  return {
    namespace,
    name: reader.string('LEADER_LEASE_NAME', 'alertgate-crd-writer'),
    identity: reader.string('POD_NAME', `${hostname()}-${process.pid}`),
    leaseDurationMs,
    retryPeriodMs,
  };
}

const DEFAULT_FILE_DIRECTORY = 'var/remediationrequests';

/**
 * SINK=auto (default) picks `kubernetes` whenever Kubernetes is configured (KUBECONFIG set, or
 * running in a pod), else `file`.
 */
export function loadConfig(env: Env): CrdWriterConfig {
  const reader = new EnvReader(env);
  const kubeconfig = reader.optional('KUBECONFIG');
  const inCluster = reader.optional('KUBERNETES_SERVICE_HOST') !== undefined;
  const requested = reader.oneOf('SINK', ['auto', 'file', 'kubernetes', 'null'], 'auto');
  const kind = requested === 'auto' ? (kubeconfig !== undefined || inCluster ? 'kubernetes' : 'file') : requested;
  let sink: SinkConfig;
  if (kind === 'null') {
    sink = { kind };
  } else if (kind === 'file') {
    sink = { kind, directory: reader.string('SINK_FILE_DIR', DEFAULT_FILE_DIRECTORY) };
  } else if (kubeconfig !== undefined) {
    if (kubeconfig.includes(':')) throw new ConfigError('KUBECONFIG', 'must name one file (lists of files are not supported)');
    sink = { kind, access: { kubeconfigPath: kubeconfig }, creates: readCreateLimits(reader), statusWritesInFlight: readStatusWrites(reader) };
  } else if (inCluster) {
    sink = { kind, access: { inCluster: true }, creates: readCreateLimits(reader), statusWritesInFlight: readStatusWrites(reader) };
  } else {
    throw new ConfigError('SINK', 'is kubernetes, but neither KUBECONFIG is set nor is this running in a pod');
  }
  const instance = reader.optional('INSTANCE');
  // A Kubernetes label value: at most 63 characters, alphanumeric at both ends.
  if (instance !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(instance)) {
    throw new ConfigError('INSTANCE', `"${instance}" is not a valid label value (up to 63 letters, digits, '-', '_' or '.', alphanumeric at both ends)`);
  }
  const fallbackNamespace = reader.string('FALLBACK_NAMESPACE', 'alertgate');
  if (!NAMESPACE_NAME_PATTERN.test(fallbackNamespace)) throw new ConfigError('FALLBACK_NAMESPACE', `"${fallbackNamespace}" is not a valid namespace name`);
  const statusFlushMs = reader.durationMs('STATUS_FLUSH_INTERVAL', 2_000, { min: 50, max: 60_000 });
  return {
    ...readCommonConfig(reader),
    port: reader.int('CRD_WRITER_PORT', DEFAULT_PORT, { min: 0, max: 65535 }),
    metricsPort: reader.int('METRICS_PORT', 9154, { min: 0, max: 65535 }),
    sink,
    dedupAddress: reader.grpcTarget('DEDUP_ADDR', '127.0.0.1:50051'),
    dedupDeadlineMs: reader.durationMs('DEDUP_DEADLINE', 2_000, { min: 10 }),
    fallbackNamespace,
    instance,
    statusFlushMs,
    statusRepeatMs: reader.durationMs('STATUS_REPEAT_INTERVAL', STATUS_REPEATS_PER_FLUSH * statusFlushMs, { min: 0, max: 3_600_000 }),
    dedupWindowMs: reader.durationMs('DEDUP_WINDOW', DEFAULT_DEDUP_WINDOW_MS, { min: 1_000, max: 30 * 86_400_000 }),
    flapHoldMs: reader.durationMs('FLAP_HOLD_TIME', DEFAULT_FLAP_HOLD_MS, { min: 0, max: 86_400_000 }),
    eventQuietMs: reader.durationMs('EVENT_QUIET_TIME', DEFAULT_EVENT_QUIET_MS, { min: 0, max: 30 * 86_400_000 }),
    completedCooldownMs: reader.durationMs('COMPLETED_COOLDOWN', DEFAULT_COMPLETED_COOLDOWN_MS, { min: 0, max: 86_400_000 }),
    stormEndIntervalMs: reader.durationMs('STORM_END_INTERVAL', 10_000, { min: 0, max: 3_600_000 }),
    leaderLease: readLeaderLease(reader),
  };
}
