import { errorMessage } from '@alertgate/errors';
import { openChannel, GrpcSecurity, GrpcServerHost, serviceClient, type ServiceClient } from '@alertgate/grpc-kit';
import { exitOnStartupFailure, handleShutdown } from '@alertgate/lifecycle';
import { LeaseElector } from '@alertgate/kube';
import { createLogger, type Logger } from '@alertgate/logging';
import { startMetricsServer } from '@alertgate/metrics';
import { DedupServiceService } from '@alertgate/proto';
import { createCrdWriterService, FileSink, KubernetesSink, NullSink, type DedupLink, type RemediationSink } from '@alertgate/remediation';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig, type CrdWriterConfig } from './config.js';

/** How often health re-checks the sink (API server reachable, directory writable). */
const HEALTH_INTERVAL_MS = 5_000;

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  const bootLogger = createLogger({ service: 'crd-writer' });
  try {
    await run(loadConfig(process.env), telemetry);
  } catch (err) {
    exitOnStartupFailure(bootLogger, err);
  }
}

async function run(config: CrdWriterConfig, telemetry: Telemetry): Promise<void> {
  const logger = createLogger({ service: 'crd-writer', level: config.logLevel });
  const security = await GrpcSecurity.start(config.grpcTls, logger);
  const dedupChannel = openChannel(config.dedupAddress, security);
  const dedup = serviceClient(DedupServiceService, dedupChannel, { name: 'dedup', deadlineMs: config.dedupDeadlineMs });
  const dedupLink: DedupLink = {
    adopt: async (fingerprint, incidentId, occurrences) => {
      await dedup.adopt({ fingerprint, incidentId, occurrences });
      logger.info({ fingerprint, incidentId, occurrences }, 'dedup window adopted the incident Kubernetes knows');
    },
  };
  const sink = sinkOf(config, logger, dedup);
  const server = new GrpcServerHost({
    host: config.host,
    port: config.port,
    logger,
    shutdownGraceMs: config.shutdownGraceMs,
    maxConnectionAgeMs: config.grpcMaxConnectionAgeMs,
    security,
  });
  server.add(createCrdWriterService(sink, logger, dedupLink));
  logger.info({ sink: sink.kind, ...(config.sink.kind === 'file' ? { directory: config.sink.directory } : {}) }, 'RemediationRequest sink');
  const stopHealth = await watchSinkHealth(sink, server, logger);
  if (sink instanceof KubernetesSink) {
    // In the background: the sink works without its watch (reads go to the API server until it
    // has synced), and listing every resource first held start-up for as long as that took
    // (over 15 s with 18,000 resources).
    void sink.start().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'watch not started; terminal phases will be noticed on the next firing'));
  }
  const stopSweeps = startSweeps(sink, config, logger);
  const metrics = await startMetricsServer(config.host, config.metricsPort);
  logger.info({ port: metrics.port }, 'metrics on /metrics');
  await server.start();
  handleShutdown(logger, async () => {
    await metrics.close();
    stopHealth();
    await stopSweeps();
    await server.shutdown();
    security.stop();
    await sink.close();
    dedupChannel.close();
    await telemetry.shutdown();
  });
}

/** The sink SINK names: nowhere (benchmarks), a directory, or the Kubernetes API. */
function sinkOf(config: CrdWriterConfig, logger: Logger, dedup: ServiceClient<typeof DedupServiceService>): RemediationSink {
  if (config.sink.kind === 'null') {
    logger.warn('SINK=null: RemediationRequests are not written anywhere (benchmarks only)');
    return new NullSink();
  }
  if (config.sink.kind === 'file') return new FileSink({ root: config.sink.directory, flapHoldMs: config.flapHoldMs, eventQuietMs: config.eventQuietMs });
  return new KubernetesSink({
    access: config.sink.access,
    fallbackNamespace: config.fallbackNamespace,
    instance: config.instance,
    statusFlushMs: config.statusFlushMs,
    statusRepeatMs: config.statusRepeatMs,
    creates: config.sink.creates,
    statusWritesInFlight: config.sink.statusWritesInFlight,
    dedupWindowMs: config.dedupWindowMs,
    flapHoldMs: config.flapHoldMs,
    eventQuietMs: config.eventQuietMs,
    completedCooldownMs: config.completedCooldownMs,
    logger,
    // A resource whose phase turned terminal ends its incident: the dedup window forgets it,
    // so the next firing opens a new incident (docs/design.md §4).
    onTerminal: (object) => {
      const { fingerprint, incidentId } = object.spec;
      dedup.forget({ fingerprint, incidentId }).then(
        ({ forgotten }) =>
          logger.info({ resource: `${object.metadata.namespace}/${object.metadata.name}`, phase: object.status?.phase, forgotten }, 'incident ended'),
        (err: unknown) => logger.warn({ err: errorMessage(err), fingerprint }, 'could not tell dedup that an incident ended'),
      );
    },
  });
}

/** The server's health follows the sink's (checked now, then every HEALTH_INTERVAL_MS); returns the stop. */
async function watchSinkHealth(sink: RemediationSink, server: GrpcServerHost, logger: Logger): Promise<() => void> {
  let healthy: boolean | undefined;
  const checkSink = async (): Promise<void> => {
    try {
      await sink.check();
      if (healthy !== true) logger.info({ sink: sink.kind }, 'sink reachable');
      healthy = true;
    } catch (err) {
      if (healthy !== false) logger.warn({ sink: sink.kind, err: errorMessage(err) }, 'sink unreachable');
      healthy = false;
    }
    server.setServing(healthy);
  };
  await checkSink();
  const timer = setInterval(() => void checkSink(), HEALTH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A storm's aggregate is resolved once its storm is over (its storm.endsAt passed), and a Warning
 * event's incident once it is quiet: nobody else would notice, since the storm service only
 * learns of the end from the key's next alert, and events never resolve. With several replicas
 * one does it at a time: the holder of the leader Lease. Returns the stop.
 */
function startSweeps(sink: RemediationSink, config: CrdWriterConfig, logger: Logger): () => Promise<void> {
  const elector =
    sink instanceof KubernetesSink && config.sink.kind === 'kubernetes'
      ? new LeaseElector({ access: config.sink.access, ...config.leaderLease, logger })
      : undefined;
  elector?.start();
  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping || (elector && !elector.isLeader())) return;
    sweeping = true;
    try {
      const ended = await sink.endStorms(Date.now());
      if (ended > 0) logger.info({ ended }, 'storm aggregates resolved: their storms are over');
      const quiet = await sink.closeQuietEvents(Date.now());
      if (quiet > 0) logger.info({ resolved: quiet }, 'Warning-event incidents resolved: no event of them for EVENT_QUIET_TIME');
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'could not resolve ended storms or quiet event incidents; will retry');
    } finally {
      sweeping = false;
    }
  };
  const timer = config.stormEndIntervalMs > 0 ? setInterval(() => void sweep(), config.stormEndIntervalMs) : undefined;
  timer?.unref();
  return async () => {
    if (timer) clearInterval(timer);
    await elector?.stop();
  };
}
