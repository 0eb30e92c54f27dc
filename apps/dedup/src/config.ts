/**
 * The dedup service's configuration: the only reader of process.env in this app. Every variable,
 * its default and its meaning are listed in docs/operations.md.
 */
import { EnvReader, readCommonConfig, type CommonConfig, type Env } from '@alertgate/config';
import { DEDUP_DEFAULTS, type DedupStoreOptions } from '@alertgate/dedup';
import { readRedisConfig, type RedisConfig } from '@alertgate/redis';

export interface DedupConfig extends CommonConfig {
  readonly port: number;
  /** Prometheus /metrics, on a port of its own. */
  readonly metricsPort: number;
  readonly redis: RedisConfig;
  readonly dedup: DedupStoreOptions;
  /** How often the Redis monitor collects (0 = off). */
  readonly redisMonitorIntervalMs: number;
}

const DEFAULT_PORT = 50051;

export function loadConfig(env: Env): DedupConfig {
  const reader = new EnvReader(env);
  return {
    ...readCommonConfig(reader),
    port: reader.int('DEDUP_PORT', DEFAULT_PORT, { min: 0, max: 65535 }),
    metricsPort: reader.int('METRICS_PORT', 9151, { min: 0, max: 65535 }),
    redis: readRedisConfig(reader),
    redisMonitorIntervalMs: reader.durationMs('REDIS_MONITOR_INTERVAL', 30_000, { min: 0, max: 3_600_000 }),
    dedup: {
      windowMs: reader.durationMs('DEDUP_WINDOW', DEDUP_DEFAULTS.windowMs, { min: 1_000, max: 30 * 86_400_000 }),
      pruneSamples: reader.int('DEDUP_PRUNE_SAMPLES', DEDUP_DEFAULTS.pruneSamples, { min: 0, max: 64 }),
      resolvedRetentionMs: reader.durationMs('DEDUP_RESOLVED_RETENTION', DEDUP_DEFAULTS.resolvedRetentionMs, { min: 0, max: 86_400_000 }),
    },
  };
}
