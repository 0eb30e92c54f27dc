import { randomBytes } from 'node:crypto';
import type { Server as TlsServer } from 'node:tls';

import { openChannel, GrpcSecurity, HealthClient, serviceClient, TlsFileWatcher } from '@alertgate/grpc-kit';
import {
  createIngestServer,
  firstOf,
  IngestPipeline,
  MaintenanceSchedule,
  NO_AUTHENTICATION,
  SenderTokens,
  watchedEventDelivery,
  withTokenReview,
  type Authenticator,
  type ManagedScope,
  type OwnerLookup,
  type ReadinessReport,
} from '@alertgate/ingest';
import { ControllerIndex, EventWatch, LeaseElector, ManagedNamespaces, ManagedWorkloads, OwnerResolver, TokenReviewer, whileLeader } from '@alertgate/kube';
import { exitOnStartupFailure, handleShutdown, releaseMemoryWhenIdle } from '@alertgate/lifecycle';
import { createLogger, type Logger } from '@alertgate/logging';
import { CrdWriterServiceService, DedupServiceService, RateLimitServiceService, StormServiceService } from '@alertgate/proto';
import type { Telemetry } from '@alertgate/telemetry-sdk';
import { metricsRegistry } from '@alertgate/metrics';
import { collectDefaultMetrics } from 'prom-client';

import { loadConfig, type GatewayConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  const bootLogger = createLogger({ service: 'ingest-gateway' });
  try {
    await run(loadConfig(process.env), telemetry);
  } catch (err) {
    exitOnStartupFailure(bootLogger, err);
  }
}

async function run(config: GatewayConfig, telemetry: Telemetry): Promise<void> {
  const logger = createLogger({ service: 'ingest-gateway', level: config.logLevel });
  // The process-wide registry: the libraries' metrics (gRPC client waits, Kubernetes calls of the
  // owner resolution) are declared there, next to the gateway's own.
  const registry = metricsRegistry;
  collectDefaultMetrics({ register: registry });

  const security = await GrpcSecurity.start(config.grpcTls, logger);
  const services = connectServices(config, security);
  const { ownerIndex, topOwner } = startOwners(config, logger);
  const readiness = readinessOf(services.peers, ownerIndex);
  const auth = await startAuthentication(config, logger);
  const optIn = await startOptIn(config, logger);
  const maintenance = config.maintenance ? MaintenanceSchedule.load({ ...config.maintenance, logger, registry }) : undefined;
  if (maintenance && config.maintenance)
    logger.info({ file: config.maintenance.file, windows: maintenance.size }, 'maintenance windows read; read again every reload interval');
  const stopReloading = maintenance?.start();
  const listenerTls = config.tls
    ? await new TlsFileWatcher({
        dir: config.tls.dir,
        reloadIntervalMs: config.tls.reloadIntervalMs,
        logger,
        variable: 'INGEST_TLS_DIR',
        caRequired: false,
      }).start()
    : undefined;
  const app = createIngestServer({
    pipeline: services.pipeline,
    ...(listenerTls ? { https: { cert: listenerTls.current.certificate, key: listenerTls.current.privateKey } } : {}),
    batching: config.batching,
    parse: config.parse,
    dropRules: config.dropRules,
    ...(maintenance ? { maintenance } : {}),
    ...(optIn ? { managed: optIn.scope } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    maxRequestsInFlight: config.maxRequestsInFlight,
    authenticator: auth.authenticator,
    retryAfterSeconds: config.retryAfterSeconds,
    readiness,
    registry,
    logger,
    ...(topOwner && config.ownerResolution ? { resolveOwner: topOwner } : {}),
    ...(topOwner && config.workloadIncidents ? { resolvePodOwner: topOwner } : {}),
  });
  // A rotated certificate is used for new connections; open ones keep theirs.
  listenerTls?.onUpdate(({ certificate, privateKey }) => (app.server as unknown as TlsServer).setSecureContext({ cert: certificate, key: privateKey }));
  let stopping = false;
  const stopWatching = config.eventWatch
    ? watchEvents(config.eventWatch, watchedEventDelivery(app, { authorization: auth.watchAuthorization, running: () => !stopping }), logger)
    : undefined;
  const stopReleasing = releaseMemoryWhenIdle();
  const address = await app.listen({ host: config.host, port: config.port });
  const port = app.server.address();
  logger.info(
    { url: address, port: typeof port === 'object' && port ? port.port : config.port, auth: config.auth.mode, tls: listenerTls !== undefined },
    'ingest gateway listening',
  );

  handleShutdown(logger, async () => {
    stopping = true;
    await stopWatching?.();
    stopReleasing();
    stopReloading?.();
    auth.stop();
    listenerTls?.stop();
    await optIn?.stop();
    await ownerIndex?.stop();
    await app.close();
    services.close();
    security.stop();
    await telemetry.shutdown();
  });
}

interface Peer {
  readonly name: string;
  readonly health: HealthClient;
}

/** The services the pipeline calls, on one channel each, and their health checks. */
function connectServices(config: GatewayConfig, security: GrpcSecurity): { pipeline: IngestPipeline; peers: Peer[]; close: () => void } {
  const { rateLimit, storm } = config;
  const dedupChannel = openChannel(config.dedupAddress, security);
  const crdWriterChannel = openChannel(config.crdWriterAddress, security);
  const stormChannel = storm ? openChannel(storm.address, security) : undefined;
  const limiterChannel = rateLimit ? openChannel(rateLimit.address, security) : undefined;
  const crdWriter = serviceClient(CrdWriterServiceService, crdWriterChannel, { name: 'crd-writer', deadlineMs: config.crdWriterDeadlineMs });
  const pipeline = new IngestPipeline({
    dedup: serviceClient(DedupServiceService, dedupChannel, { name: 'dedup', deadlineMs: config.dedupDeadlineMs }),
    crdWriter: { applyBatch: (request, deadlineMs) => crdWriter.applyBatch(request, { deadlineMs }), deadlineMs: config.crdWriterDeadlineMs },
    rateLimit:
      limiterChannel && rateLimit
        ? { ...serviceClient(RateLimitServiceService, limiterChannel, { name: 'ratelimit', deadlineMs: rateLimit.deadlineMs }), failOpen: rateLimit.failOpen }
        : undefined,
    storm: stormChannel && storm ? serviceClient(StormServiceService, stormChannel, { name: 'storm', deadlineMs: storm.deadlineMs }) : undefined,
  });
  const peers: Peer[] = [
    { name: 'dedup', health: new HealthClient(config.dedupAddress, dedupChannel.getChannel()) },
    { name: 'crd-writer', health: new HealthClient(config.crdWriterAddress, crdWriterChannel.getChannel()) },
    ...(limiterChannel && rateLimit ? [{ name: 'ratelimit', health: new HealthClient(rateLimit.address, limiterChannel.getChannel()) }] : []),
    ...(stormChannel && storm ? [{ name: 'storm', health: new HealthClient(storm.address, stormChannel.getChannel()) }] : []),
  ];
  const close = (): void => {
    for (const channel of [dedupChannel, crdWriterChannel, stormChannel, limiterChannel]) channel?.close();
  };
  return { pipeline, peers, close };
}

/**
 * Ready only when every service answers SERVING (dedup reports NOT_SERVING while Redis is down and
 * crd-writer while its sink is unreachable, so readiness covers Redis and Kubernetes too), and
 * not before the owner index's first lists are in (at most OWNER_INDEX_WAIT_MS): the first alerts
 * find their pods in it.
 */
function readinessOf(peers: readonly Peer[], ownerIndex: ControllerIndex | undefined): () => Promise<ReadinessReport> {
  const indexWaitEnds = Date.now() + OWNER_INDEX_WAIT_MS;
  return async () => {
    const checks: Record<string, string> = Object.fromEntries(
      await Promise.all(peers.map(async ({ name, health }) => [name, await health.check(1_000)] as const)),
    );
    if (ownerIndex) checks['owner-index'] = ownerIndex.isSynced || Date.now() >= indexWaitEnds ? 'SERVING' : 'LISTING';
    return { ready: Object.values(checks).every((status) => status === 'SERVING'), checks };
  };
}

/**
 * Who may post (INGEST_AUTH): bearer tokens of named senders, ServiceAccount tokens by
 * TokenReview, or no one checked. The built-in event watch posts in-process under a token no
 * one else has (watchAuthorization).
 */
async function startAuthentication(
  config: GatewayConfig,
  logger: Logger,
): Promise<{ authenticator: Authenticator; watchAuthorization: string | undefined; stop: () => void }> {
  const { auth } = config;
  if (auth.mode === 'disabled') logger.warn('authentication is DISABLED (INGEST_AUTH=disabled): anyone who reaches this port can create RemediationRequests');
  const senders =
    auth.mode === 'token' && auth.source
      ? (await SenderTokens.load({ source: auth.source, reloadIntervalMs: auth.reloadIntervalMs, graceMs: auth.graceMs }, logger)).watch()
      : undefined;
  if (senders) logger.info({ senders: senders.senders() }, 'senders authenticated by bearer token');
  const reviewer = config.tokenReview ? new TokenReviewer({ ...config.tokenReview, logger }) : undefined;
  if (config.tokenReview) logger.info({ audience: config.tokenReview.audience }, 'ServiceAccount tokens authenticated by TokenReview');
  const configured = reviewer ? withTokenReview(senders, (token) => reviewer.review(token)) : (senders ?? NO_AUTHENTICATION);
  const stop = (): void => senders?.stop();
  if (!config.eventWatch || !configured.enabled) return { authenticator: configured, watchAuthorization: undefined, stop };
  const token = randomBytes(32).toString('hex');
  const watchTokens = await SenderTokens.load({ source: { kind: 'fixed', tokens: { 'event-watch': token } }, reloadIntervalMs: 60_000, graceMs: 0 }, logger);
  return { authenticator: firstOf(watchTokens, configured), watchAuthorization: `Bearer ${token}`, stop };
}

/** How long readiness waits for the owner index's first lists; after it, owners are read from the API until they are in. */
const OWNER_INDEX_WAIT_MS = 10_000;

/**
 * Owner resolution (INCIDENT_IDENTITY=workload, EVENT_OWNER_RESOLUTION), with its index
 * (OWNER_INDEX) started: the lookup the ingest server is given, undefined when both are off.
 */
function startOwners(config: GatewayConfig, logger: Logger): { ownerIndex: ControllerIndex | undefined; topOwner: OwnerLookup | undefined } {
  const access = config.ownerResolution ?? config.workloadIncidents;
  if (config.ownerResolution) logger.info('Warning events are folded per top-level controller (EVENT_OWNER_RESOLUTION)');
  logger.info(
    config.workloadIncidents
      ? 'alerts about a pod are incidents of its workload (INCIDENT_IDENTITY=workload)'
      : 'one incident per pod: INCIDENT_IDENTITY=pod, or Kubernetes is not configured (KUBECONFIG, or a pod)',
  );
  if (!access) return { ownerIndex: undefined, topOwner: undefined };
  const ownerIndex = config.ownerIndex ? new ControllerIndex({ access, logger }) : undefined;
  ownerIndex?.start();
  const owners = new OwnerResolver({ access, logger, index: ownerIndex });
  return { ownerIndex, topOwner: (object) => owners.topOwner({ ...object }) };
}

/**
 * Opt-in (MANAGED_NAMESPACE_SELECTOR, MANAGED_WORKLOAD_SELECTOR): the matching namespaces and
 * workloads, listed before listening (until then every signal would look unmanaged), then watched.
 */
async function startOptIn(config: GatewayConfig, logger: Logger): Promise<{ scope: ManagedScope; stop: () => Promise<void> } | undefined> {
  const { managedNamespaces: byNamespace, managedWorkloads: byWorkload } = config;
  if (!byNamespace && !byWorkload) return undefined;
  const namespaces = byNamespace ? new ManagedNamespaces({ ...byNamespace, logger }) : undefined;
  const workloads = byWorkload ? new ManagedWorkloads({ ...byWorkload, logger }) : undefined;
  await Promise.all([namespaces?.start(), workloads?.start()]);
  logger.info(
    { namespaceSelector: byNamespace?.selector, namespaces: namespaces?.size, workloadSelector: byWorkload?.selector, workloads: workloads?.size },
    'opt-in: only signals of matching namespaces, or about matching workloads, get resources',
  );
  return {
    scope: {
      namespaces: namespaces && byNamespace ? { selector: byNamespace.selector, has: (namespace) => namespaces.has(namespace) } : undefined,
      workloads: workloads && byWorkload ? { selector: byWorkload.selector, has: (kind, namespace, name) => workloads.has(kind, namespace, name) } : undefined,
    },
    stop: async () => {
      await Promise.all([namespaces?.stop(), workloads?.stop()]);
    },
  };
}

/** The cluster's Warning events into the pipeline, on the replica that holds the watch's lease. */
function watchEvents(
  watch: NonNullable<GatewayConfig['eventWatch']>,
  deliver: (event: object, occurrences: number) => Promise<void>,
  logger: Logger,
): () => Promise<void> {
  const elector = new LeaseElector({ access: watch.access, namespace: watch.namespace, ...watch.lease, logger });
  const events = new EventWatch({
    access: watch.access,
    checkpoint: { namespace: watch.namespace, name: watch.checkpointName },
    checkpointIntervalMs: watch.checkpointIntervalMs,
    deliver,
    logger,
  });
  logger.info(
    { lease: `${watch.namespace}/${watch.lease.name}`, checkpoint: `${watch.namespace}/${watch.checkpointName}` },
    "watching the cluster's Warning events (EVENT_WATCH)",
  );
  return whileLeader(elector, events, Math.max(100, Math.floor(watch.lease.retryPeriodMs / 2)));
}
