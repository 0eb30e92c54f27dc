import { GrpcServerHost } from '@alertgate/grpc-kit';
import { exitOnStartupFailure, handleShutdown } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { startMetricsServer } from '@alertgate/metrics';
import { createRateLimitService, RateLimiter } from '@alertgate/ratelimit';
import { createRedisClient, followRedisHealth, KeySchema } from '@alertgate/redis';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig, type RateLimitConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  const bootLogger = createLogger({ service: 'ratelimit' });
  try {
    await run(loadConfig(process.env), telemetry);
  } catch (err) {
    exitOnStartupFailure(bootLogger, err);
  }
}

async function run(config: RateLimitConfig, telemetry: Telemetry): Promise<void> {
  const logger = createLogger({ service: 'ratelimit', level: config.logLevel });
  const redis = createRedisClient(config.redis, 'alertgate-ratelimit');
  const limiter = new RateLimiter(redis, new KeySchema(config.redis.keyPrefix), config.limits);
  const server = new GrpcServerHost({ host: config.host, port: config.port, logger, shutdownGraceMs: config.shutdownGraceMs });
  server.add(createRateLimitService(limiter, logger));

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
