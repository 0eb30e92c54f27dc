import { exitOnStartupFailure } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { serveRedisService } from '@alertgate/service-host';
import { createStormService, StormStore } from '@alertgate/storm';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  try {
    const config = loadConfig(process.env);
    await serveRedisService(
      'storm',
      config,
      (redis, keys, logger) => ({ service: createStormService(new StormStore(redis, keys, config.storm, config.redis.replicaWait), logger) }),
      () => telemetry.shutdown(),
    );
  } catch (err) {
    exitOnStartupFailure(createLogger({ service: 'storm' }), err);
  }
}
