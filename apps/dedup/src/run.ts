import { createDedupService, DedupStore } from '@alertgate/dedup';
import { GrpcServerHost } from '@alertgate/grpc-kit';
import { exitOnStartupFailure, handleShutdown } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { startMetricsServer } from '@alertgate/metrics';
import { createRedisClient, followRedisHealth, KeySchema, RedisMonitor } from '@alertgate/redis';
import { Redis } from 'ioredis';
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

  followRedisHealth(redis, (serving) => server.setServing(serving), logger);
  // The Redis monitor runs here, once per installation's dedup replica (the service that owns the
  // bulk of the keyspace); its scan is cheap: a few thousand shard hashes.
  const monitor = redis instanceof Redis && config.redisMonitorIntervalMs > 0 ? new RedisMonitor(redis, config.redis.keyPrefix, logger) : undefined;
  redis.once('ready', () => monitor?.start(config.redisMonitorIntervalMs));

  const metrics = await startMetricsServer(config.host, config.metricsPort);
  logger.info({ port: metrics.port }, 'metrics on /metrics');
  await server.start();
  handleShutdown(logger, async () => {
    await metrics.close();
    monitor?.stop();
    await server.shutdown();
    redis.disconnect();
    await telemetry.shutdown();
  });
}
