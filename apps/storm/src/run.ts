import { GrpcServerHost } from '@alertgate/grpc-kit';
import { exitOnStartupFailure, handleShutdown } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { startMetricsServer } from '@alertgate/metrics';
import { createRedisClient, followRedisHealth, KeySchema } from '@alertgate/redis';
import { createStormService, StormStore } from '@alertgate/storm';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig, type StormAppConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  const bootLogger = createLogger({ service: 'storm' });
  try {
    await run(loadConfig(process.env), telemetry);
  } catch (err) {
    exitOnStartupFailure(bootLogger, err);
  }
}

async function run(config: StormAppConfig, telemetry: Telemetry): Promise<void> {
  const logger = createLogger({ service: 'storm', level: config.logLevel });
  const redis = createRedisClient(config.redis, 'alertgate-storm');
  const store = new StormStore(redis, new KeySchema(config.redis.keyPrefix), config.storm);
  const server = new GrpcServerHost({ host: config.host, port: config.port, logger, shutdownGraceMs: config.shutdownGraceMs });
  server.add(createStormService(store, logger));

  followRedisHealth(redis, (serving) => server.setServing(serving), logger);

  const metrics = await startMetricsServer(config.host, config.metricsPort);
  logger.info({ port: metrics.port }, 'metrics on /metrics');
  await server.start();
  handleShutdown(logger, async () => {
    await metrics.close();
    await server.shutdown();
    redis.disconnect();
    await telemetry.shutdown();
  });
}
