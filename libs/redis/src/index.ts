export { connectRedis, createRedisClient } from './create-redis-client.js';
export { followRedisHealth } from './follow-redis-health.js';
export type { RedisClient } from './create-redis-client.js';
export { KEY_CLASSES, KeySchema } from './key-schema.js';
export type { KeyClass } from './key-schema.js';
export { mapRedisError } from './map-redis-error.js';
export { REDIS_DEFAULTS, readRedisConfig } from './redis-config.js';
export type { RedisConfig, RedisNode, RedisTopology } from './redis-config.js';
export { RedisScript } from './redis-script.js';
