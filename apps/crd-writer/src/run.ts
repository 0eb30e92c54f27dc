import { GrpcServerHost } from '@alertgate/grpc-kit';
import { exitOnStartupFailure, handleShutdown } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { createCrdWriterService, FileSink, KubernetesSink, type RemediationSink } from '@alertgate/remediation';
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
  const sink: RemediationSink = config.sink.kind === 'file' ? new FileSink(config.sink.directory) : new KubernetesSink(config.sink.access);
  const server = new GrpcServerHost({ host: config.host, port: config.port, logger, shutdownGraceMs: config.shutdownGraceMs });
  server.add(createCrdWriterService(sink, logger));
  logger.info({ sink: sink.kind, ...(config.sink.kind === 'file' ? { directory: config.sink.directory } : {}) }, 'RemediationRequest sink');

  let healthy: boolean | undefined;
  const checkSink = async (): Promise<void> => {
    try {
      await sink.check();
      if (healthy !== true) logger.info({ sink: sink.kind }, 'sink reachable');
      healthy = true;
    } catch (err) {
      if (healthy !== false) logger.warn({ sink: sink.kind, err: err instanceof Error ? err.message : String(err) }, 'sink unreachable');
      healthy = false;
    }
    server.setServing(healthy);
  };
  await checkSink();
  const timer = setInterval(() => void checkSink(), HEALTH_INTERVAL_MS);
  timer.unref();

  await server.start();
  handleShutdown(logger, async () => {
    clearInterval(timer);
    await server.shutdown();
    await telemetry.shutdown();
  });
}
