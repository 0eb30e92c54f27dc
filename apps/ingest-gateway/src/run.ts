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
  type ReadinessReport,
} from '@alertgate/ingest';
import { ControllerIndex, EventWatch, LeaseElector, ManagedNamespaces, OwnerResolver, TokenReviewer, whileLeader } from '@alertgate/kube';
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
  const rateLimit = config.rateLimit;
  const stormConfig = config.storm;
  const channels = {
    dedup: openChannel(config.dedupAddress, security),
    crdWriter: openChannel(config.crdWriterAddress, security),
    storm: stormConfig ? openChannel(stormConfig.address, security) : undefined,
    limiter: rateLimit ? openChannel(rateLimit.address, security) : undefined,
  };
  const crdWriter = serviceClient(CrdWriterServiceService, channels.crdWriter, { name: 'crd-writer', deadlineMs: config.crdWriterDeadlineMs });
  const pipeline = new IngestPipeline({
    dedup: serviceClient(DedupServiceService, channels.dedup, { name: 'dedup', deadlineMs: config.dedupDeadlineMs }),
    crdWriter: { applyBatch: (request, deadlineMs) => crdWriter.applyBatch(request, { deadlineMs }), deadlineMs: config.crdWriterDeadlineMs },
    rateLimit:
      channels.limiter && rateLimit
        ? { ...serviceClient(RateLimitServiceService, channels.limiter, { name: 'ratelimit', deadlineMs: rateLimit.deadlineMs }), failOpen: rateLimit.failOpen }
        : undefined,
    storm:
      channels.storm && stormConfig ? serviceClient(StormServiceService, channels.storm, { name: 'storm', deadlineMs: stormConfig.deadlineMs }) : undefined,
  });

  const peers = [
    { name: 'dedup', health: new HealthClient(config.dedupAddress, channels.dedup.getChannel()) },
    { name: 'crd-writer', health: new HealthClient(config.crdWriterAddress, channels.crdWriter.getChannel()) },
    ...(channels.limiter && rateLimit ? [{ name: 'ratelimit', health: new HealthClient(rateLimit.address, channels.limiter.getChannel()) }] : []),
    ...(channels.storm && stormConfig ? [{ name: 'storm', health: new HealthClient(stormConfig.address, channels.storm.getChannel()) }] : []),
  ];
  // Ready only when both services answer SERVING; dedup reports NOT_SERVING while Redis is down
  // and crd-writer while its sink is unreachable, so readiness covers Redis and Kubernetes too.
  const readiness = async (): Promise<ReadinessReport> => {
    const checks = Object.fromEntries(await Promise.all(peers.map(async ({ name, health }) => [name, await health.check(1_000)] as const)));
    return { ready: Object.values(checks).every((status) => status === 'SERVING'), checks };
  };

  if (config.auth.mode === 'disabled')
    logger.warn('authentication is DISABLED (INGEST_AUTH=disabled): anyone who reaches this port can create RemediationRequests');
  const { auth } = config;
  const senders =
    auth.mode === 'token' && auth.source
      ? (await SenderTokens.load({ source: auth.source, reloadIntervalMs: auth.reloadIntervalMs, graceMs: auth.graceMs }, logger)).watch()
      : undefined;
  if (senders) logger.info({ senders: senders.senders() }, 'senders authenticated by bearer token');
  const reviewer = config.tokenReview ? new TokenReviewer({ ...config.tokenReview, logger }) : undefined;
  if (config.tokenReview) logger.info({ audience: config.tokenReview.audience }, 'ServiceAccount tokens authenticated by TokenReview');
  const configured = reviewer ? withTokenReview(senders, (token) => reviewer.review(token)) : (senders ?? NO_AUTHENTICATION);
  // The built-in event watch posts in-process under a token no one else has.
  const watchAuthorization = config.eventWatch && configured.enabled ? `Bearer ${randomBytes(32).toString('hex')}` : undefined;
  const authenticator = watchAuthorization
    ? firstOf(
        await SenderTokens.load(
          { source: { kind: 'fixed', tokens: { 'event-watch': watchAuthorization.slice(7) } }, reloadIntervalMs: 60_000, graceMs: 0 },
          logger,
        ),
        configured,
      )
    : configured;
  const ownerAccess = config.ownerResolution ?? config.workloadIncidents;
  const ownerIndex = ownerAccess && config.ownerIndex ? new ControllerIndex({ access: ownerAccess, logger }) : undefined;
  ownerIndex?.start();
  // Before listening, as long as the API answers: alerts of the first moments find their pods in the index.
  if (ownerIndex && !(await ownerIndex.waitSynced(10_000))) logger.warn('owner index not in after 10 s: owners are read from the API until it is');
  const owners = ownerAccess ? new OwnerResolver({ access: ownerAccess, logger, index: ownerIndex }) : undefined;
  const topOwner = owners ? (object: Parameters<OwnerResolver['topOwner']>[0]) => owners.topOwner(object) : undefined;
  if (config.ownerResolution) logger.info('Warning events are folded per top-level controller (EVENT_OWNER_RESOLUTION)');
  logger.info(
    config.workloadIncidents
      ? 'alerts about a pod are incidents of its workload (INCIDENT_IDENTITY=workload)'
      : 'one incident per pod: INCIDENT_IDENTITY=pod, or Kubernetes is not configured (KUBECONFIG, or a pod)',
  );
  const managedConfig = config.managedNamespaces;
  const managed = managedConfig ? new ManagedNamespaces({ access: managedConfig.access, selector: managedConfig.selector, logger }) : undefined;
  if (managed && managedConfig) {
    // Before listening: until the first list is in, every signal would look unmanaged.
    await managed.start();
    logger.info({ selector: managedConfig.selector, namespaces: managed.size }, 'opt-in: only namespaces matching MANAGED_NAMESPACE_SELECTOR get resources');
  }
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
    pipeline,
    ...(listenerTls ? { https: { cert: listenerTls.current.certificate, key: listenerTls.current.privateKey } } : {}),
    batching: config.batching,
    parse: config.parse,
    dropRules: config.dropRules,
    ...(maintenance ? { maintenance } : {}),
    ...(managed && managedConfig ? { managed: { selector: managedConfig.selector, has: (namespace: string) => managed.has(namespace) } } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    maxRequestsInFlight: config.maxRequestsInFlight,
    authenticator,
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
    ? watchEvents(config.eventWatch, watchedEventDelivery(app, { authorization: watchAuthorization, running: () => !stopping }), logger)
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
    senders?.stop();
    listenerTls?.stop();
    await managed?.stop();
    await ownerIndex?.stop();
    await app.close();
    for (const channel of Object.values(channels)) channel?.close();
    security.stop();
    await telemetry.shutdown();
  });
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
