export { RateLimiter } from './rate-limiter.js';
export type { CreationDemand, QuotaResult } from './rate-limiter.js';
export { createRateLimitService, RATELIMIT_SERVICE_NAME, toQuota } from './ratelimit-service.js';
export { policyOf, RATE_LIMIT_DEFAULTS } from './rate-limits.js';
export type { Limit, RateLimits } from './rate-limits.js';
