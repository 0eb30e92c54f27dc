import type { CommonConfig } from '@alertgate/config';
import { GrpcSecurity, GrpcServerHost, type GrpcService } from '@alertgate/grpc-kit';
import { handleShutdown } from '@alertgate/lifecycle';
import { createLogger, type Logger } from '@alertgate/logging';
import { startMetricsServer } from '@alertgate/metrics';
import { createRedisClient, describeRedisTarget, followRedisHealth, KeySchema, type RedisClient, type RedisConfig } from '@alertgate/redis';

export interface RedisServiceConfig extends CommonConfig {
  readonly port: number;
  readonly metricsPort: number;
  readonly redis: RedisConfig;
}

export interface RedisServiceParts {
  readonly service: GrpcService;
  /** Extra start-up once Redis is ready (e.g. a monitor), and its stop. */
  readonly onRedisReady?: () => void;
  readonly onStop?: () => void;
}

/**
 * The life of a gRPC service whose state is in Redis (dedup, ratelimit, storm): one Redis client,
 * health that follows Redis (NOT_SERVING while it is unreachable), /metrics on its own port, the
 * gRPC server, and a graceful stop on SIGTERM. The app supplies its service; this is the rest.
 */
export async function serveRedisService(
  name: string,
  config: RedisServiceConfig,
  build: (redis: RedisClient, keys: KeySchema, logger: Logger) => RedisServiceParts,
  shutdownTelemetry: () => Promise<void>,
): Promise<void> {
  const logger = createLogger({ service: name, level: config.logLevel });
  const redis = createRedisClient(config.redis, `alertgate-${name}`);
  const parts = build(redis, new KeySchema(config.redis.keyPrefix), logger);
  const security = await GrpcSecurity.start(config.grpcTls, logger);
  const server = new GrpcServerHost({
    host: config.host,
    port: config.port,
    logger,
    shutdownGraceMs: config.shutdownGraceMs,
    maxConnectionAgeMs: config.grpcMaxConnectionAgeMs,
    security,
  });
  server.add(parts.service);
  followRedisHealth(redis, (serving) => server.setServing(serving), logger, describeRedisTarget(config.redis.topology));
  const { onRedisReady } = parts;
  if (onRedisReady) redis.once('ready', onRedisReady);

  const metrics = await startMetricsServer(config.host, config.metricsPort);
  logger.info({ port: metrics.port }, 'metrics on /metrics');
  await server.start();
  handleShutdown(logger, async () => {
    await metrics.close();
    parts.onStop?.();
    await server.shutdown();
    security.stop();
    redis.disconnect();
    await shutdownTelemetry();
  });
}
