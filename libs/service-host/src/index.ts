export { serveRedisService } from './serve-redis-service.js';
export type { RedisServiceConfig, RedisServiceParts } from './serve-redis-service.js';
