export { auditPrefix, newPrefix, RedisTestScope, testRedisUrl } from './test-redis.js';
export type { KeyAudit } from './test-redis.js';
export { repoRoot } from './repo-root.js';
export { kubectl, testKube, testNamespace } from './test-kube.js';
