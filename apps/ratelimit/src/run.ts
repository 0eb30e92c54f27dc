import { exitOnStartupFailure } from '@alertgate/lifecycle';
import { createLogger } from '@alertgate/logging';
import { createRateLimitService, RateLimiter } from '@alertgate/ratelimit';
import { serveRedisService } from '@alertgate/service-host';
import type { Telemetry } from '@alertgate/telemetry-sdk';

import { loadConfig } from './config.js';

/** Loads the configuration (a bad value stops start-up, naming the variable) and runs. */
export async function start(telemetry: Telemetry): Promise<void> {
  try {
    const config = loadConfig(process.env);
    await serveRedisService(
      'ratelimit',
      config,
      (redis, keys, logger) => ({ service: createRateLimitService(new RateLimiter(redis, keys, config.limits), logger) }),
      () => telemetry.shutdown(),
    );
  } catch (err) {
    exitOnStartupFailure(createLogger({ service: 'ratelimit' }), err);
  }
}
