import { createDedupService, DedupStore } from '@alertgate/dedup';
import { exitOnStartupFailure } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { RedisMonitor } from '@alertgate/redis';
import { serveRedisService } from '@alertgate/service-host';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  try {
    const config = loadConfig(process.env);
    await serveRedisService(
      'dedup',
      config,
      (redis, keys, logger) => {
        // The Redis monitor runs here, in the service that owns the bulk of the keyspace; its
        // scan is cheap (a few thousand shard hashes). On Redis Cluster it asks every master.
        const monitor = config.redisMonitorIntervalMs > 0 ? new RedisMonitor(redis, config.redis.keyPrefix, logger) : undefined;
        return {
          service: createDedupService(new DedupStore(redis, keys, config.dedup, config.redis.replicaWait), logger),
          onRedisReady: () => monitor?.start(config.redisMonitorIntervalMs),
          onStop: () => monitor?.stop(),
        };
      },
      () => telemetry.shutdown(),
    );
  } catch (err) {
    exitOnStartupFailure(createLogger({ service: 'dedup' }), err);
  }
}
