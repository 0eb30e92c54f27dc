import { createDedupService, DedupStore } from '@alertgate/dedup';
import { GrpcServerHost } from '@alertgate/grpc-kit';
import { exitOnStartupFailure, handleShutdown } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { createRedisClient, KeySchema } from '@alertgate/redis';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig, type DedupConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  const bootLogger = createLogger({ service: 'dedup' });
  try {
    await run(loadConfig(process.env), telemetry);
  } catch (err) {
    exitOnStartupFailure(bootLogger, err);
  }
}

async function run(config: DedupConfig, telemetry: Telemetry): Promise<void> {
  const logger = createLogger({ service: 'dedup', level: config.logLevel });
  const redis = createRedisClient(config.redis, 'alertgate-dedup');
  const store = new DedupStore(redis, new KeySchema(config.redis.keyPrefix), config.dedup);
  const server = new GrpcServerHost({ host: config.host, port: config.port, logger, shutdownGraceMs: config.shutdownGraceMs });
  server.add(createDedupService(store, logger));

  // Health follows Redis: NOT_SERVING while it is unreachable, so the gateway's /readyz and
  // Kubernetes' probes see the outage instead of a stream of failed calls.
  redis.on('ready', () => {
    logger.info('Redis ready');
    server.setServing(true);
  });
  redis.on('close', () => server.setServing(false));
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'Redis connection error'));
  redis.connect().catch((err: unknown) => logger.warn({ err: String(err) }, 'Redis not reachable yet; retrying'));

  await server.start();
  handleShutdown(logger, async () => {
    await server.shutdown();
    redis.disconnect();
    await telemetry.shutdown();
  });
}
