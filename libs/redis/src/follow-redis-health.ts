import type { RedisClient } from './create-redis-client.js';

interface HealthLogger {
  info(message: string): void;
  warn(object: object, message: string): void;
}

/**
 * Drives a service's health from its Redis connection: serving while connected, not serving
 * while it is down (so readiness probes and the gateway's /readyz see the outage instead of a
 * stream of failed calls), and connects in the background with reconnects forever.
 */
export function followRedisHealth(
  redis: RedisClient,
  setServing: (serving: boolean) => void,
  logger: HealthLogger,
  /** Which Redis, and the variable that sets it: named in every connection error. */
  target: { readonly redis: string; readonly variable: string },
): void {
  redis.on('ready', () => {
    logger.info('Redis ready');
    setServing(true);
  });
  redis.on('close', () => setServing(false));
  redis.on('error', (err: Error) => logger.warn({ err: err.message, ...target }, `Redis connection error (${target.redis}; set ${target.variable})`));
  redis
    .connect()
    .catch((err: unknown) => logger.warn({ err: String(err), ...target }, `Redis not reachable yet at ${target.redis} (set ${target.variable}); retrying`));
}
